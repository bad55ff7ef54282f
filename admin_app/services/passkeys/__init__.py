"""Passkeys (WebAuthn): the relying party, challenges, credentials and ceremonies."""
