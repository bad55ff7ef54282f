"""The profile page: the signed-in user's own account."""
