"""Email codes: the store that parks a half-finished flow under a code, and the code step
that sign-in, sign-up, MFA and OAuth share."""
