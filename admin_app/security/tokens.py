"""Signed JWTs with a purpose (`typ`) that is always checked.

HS256 is pinned: a token in any other algorithm, with a bad signature, or
without `exp`, `iat`, `sub` and `typ` is refused.

`secret` is JWT_SECRET itself; every token is signed and checked with its
"jwt" key (security/keys.py, HKDF), never with the secret directly, so the
other keys derived from it (code and throttle HMACs, the OAuth state cookie)
can neither make nor check a token. Deriving here, in the one module that
signs and checks, covers every caller at once.
"""

from __future__ import annotations

import datetime as dt
import enum
from functools import lru_cache
from typing import Any

import jwt

from admin_app.clock import now
from admin_app.security import keys

ALGORITHM = "HS256"
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ["exp", "iat", "sub", "typ"]
MAX_TOKEN_LENGTH = 4096


class TokenType(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"
    SESSION = "session"
    RESET = "reset"
    HANDOFF = "handoff"


class InvalidToken(Exception):
    """The token is malformed, expired, forged or of another purpose."""


def issue(secret: str, *, typ: TokenType, sub: str, ttl: int, **claims: Any) -> str:
    issued = now()
    payload = {
        **claims,
        "sub": sub,
        "typ": typ.value,
        "iat": int(issued.timestamp()),
        "exp": int((issued + dt.timedelta(seconds=ttl)).timestamp()),
    }
    return jwt.encode(payload, signing_key(secret), algorithm=ALGORITHM)


def signing_key(secret: str) -> bytes:
    """The key that signs and checks tokens: JWT_SECRET's "jwt" key."""
    return keys.derive(secret, "jwt")


@lru_cache(maxsize=4096)
def _signed_claims(secret: str, token: str) -> tuple[tuple[str, Any], ...]:
    """Signature, algorithm and required claims: a pure function of (secret, token).

    Cached because a client presents the same access token for minutes and
    PyJWT's checks cost more than the rest of a request; only tokens that
    pass are cached, and times are checked on every call, in `verify`.
    """
    try:
        claims = jwt.decode(
            token,
            signing_key(secret),
            algorithms=[ALGORITHM],
            options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    return tuple(claims.items())


def verify(secret: str, token: str, *, typ: TokenType) -> dict[str, Any]:
    """The claims of `token`, or InvalidToken."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the token is too long")
    claims = dict(_signed_claims(secret, token))
    # Times are checked against the application clock, at every call.
    moment = now().timestamp()
    exp, iat = claims["exp"], claims["iat"]
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise InvalidToken("exp and iat must be numbers")
    if exp + LEEWAY_SECONDS <= moment:
        raise InvalidToken("the token has expired")
    if iat - LEEWAY_SECONDS > moment:
        raise InvalidToken("the token is not yet valid")
    if claims.get("typ") != typ.value:
        raise InvalidToken(f"expected a {typ.value} token")
    return claims
