"""Random secrets and their at-rest digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> str:
    """A URL-safe secret with `nbytes` of entropy (256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def new_id() -> str:
    """An unguessable identifier for server-side rows."""
    return secrets.token_hex(16)


def digest(token: str) -> str:
    """SHA-256 of a high-entropy secret: enough at rest, since it cannot be guessed."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
