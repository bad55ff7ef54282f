"""The users page: the table, its state and its dialogs."""
