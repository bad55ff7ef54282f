"""Six-digit email codes: drawn from `secrets`, kept only as an HMAC."""

from __future__ import annotations

import hashlib
import hmac
import secrets

DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def code_hmac(secret: str | bytes, *, code_id: str, purpose: str, subject: str, code: str) -> str:
    """Binds the code to its sign-in attempt (`code_id`), purpose and user or address."""
    message = f"{code_id}|{purpose}|{subject}|{code}".encode()
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def matches(expected_hmac: str, candidate_hmac: str) -> bool:
    return hmac.compare_digest(expected_hmac.encode(), candidate_hmac.encode())


def looks_like_code(value: str) -> bool:
    return len(value) == DIGITS and value.isascii() and value.isdigit()


def mask_email(address: str) -> str:
    """`a•••e@example.com`: enough to recognise, not enough to harvest."""
    local, _, domain = address.partition("@")
    if not domain:
        return "•••"
    shown = local[0] + "•••" + (local[-1] if len(local) > 2 else "")
    return f"{shown}@{domain}"
