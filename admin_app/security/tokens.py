"""Signed JWTs with a purpose (`typ`) that is always checked.

HS256 is pinned: a token in any other algorithm, with a bad signature, or
without `exp`, `iat`, `sub` and `typ` is refused.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import jwt

from admin_app.clock import now

ALGORITHM = "HS256"
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ["exp", "iat", "sub", "typ"]


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
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str, *, typ: TokenType) -> dict[str, Any]:
    """The claims of `token`, or InvalidToken."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            # Times are checked below against the application clock.
            options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
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
