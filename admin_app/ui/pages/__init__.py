"""One module per page, its state beside it. Importing a module registers its page."""
