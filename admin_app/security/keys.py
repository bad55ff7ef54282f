"""One key per purpose, derived from JWT_SECRET with HKDF (RFC 5869, SHA-256).

A key that signs tokens never also keys the code HMAC, the throttle HMAC or
the OAuth state cookie: a leak or a misuse of one purpose says nothing of
another, and each can be told apart in a review.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

PURPOSES = (
    "jwt",
    "code-hmac",
    "throttle-hmac",
    "oauth-state",
    "totp-seal",
    "recovery-hmac",
    "webauthn-user",
)
SALT = b"admin_app/v1"
LENGTH = 32


@lru_cache(maxsize=32)
def derive(secret: str, purpose: str) -> bytes:
    """The 32-byte key for `purpose` (one of PURPOSES)."""
    if purpose not in PURPOSES:
        raise ValueError(f"no key purpose {purpose!r}; use one of {', '.join(PURPOSES)}")
    # HKDF-Extract, then a single HKDF-Expand block: 32 bytes is one SHA-256 output.
    prk = hmac.new(SALT, secret.encode(), hashlib.sha256).digest()
    return hmac.new(prk, purpose.encode() + b"\x01", hashlib.sha256).digest()
