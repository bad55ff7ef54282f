"""What admins do: the user directory, the last-admin rule, the dashboard's counts."""
