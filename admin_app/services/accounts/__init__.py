"""Accounts: users, sign-up, a user's own profile, password resets, the first admin."""
