"""Secrets the server must read back (an authenticator app's key), sealed at rest.

AES-256-GCM under a key derived from JWT_SECRET for the purpose (`keys.py`),
with the row's owner as associated data: a sealed value copied to another
user's row does not open. Stored as `v1.<base64url(nonce + ciphertext)>`.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from admin_app.security.keys import derive

VERSION = "v1"
NONCE_BYTES = 12


class CannotOpen(ValueError):
    """The sealed value was altered, belongs elsewhere, or another secret sealed it."""


def seal(secret: str, purpose: str, plaintext: str, *, bound_to: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(derive(secret, purpose)).encrypt(nonce, plaintext.encode(), bound_to.encode())
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def open_sealed(secret: str, purpose: str, value: str, *, bound_to: str) -> str:
    version, _, body = value.partition(".")
    if version != VERSION:
        raise CannotOpen("unknown seal version")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
        plain = AESGCM(derive(secret, purpose)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], bound_to.encode()
        )
    except (InvalidTag, ValueError) as exc:
        raise CannotOpen("the sealed value does not open") from exc
    return plain.decode()
