"""Signing in: the stages, the shared code step, MFA, OAuth identities, re-authentication."""
