"""Access: browser sessions, API tokens and keys, principals and permissions."""
