"""Limits on every guessable thing: throttles, budgets, the long-term lock."""
