"""Who a request acts as: the principal (user, roles, permissions) behind an
access token or an API key, read with one prebuilt query (a hot path).

An access token ends with its refresh family: logout and a detected reuse
revoke the family, and the same query that loads the principal says whether
the token's family (its `fam` claim) still has a live member.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from admin_app.errors import NotAuthenticated, PermissionDenied
from admin_app.models import RefreshToken, Role, User, UserRole
from admin_app.security import tokens
from admin_app.services.access import permissions
from admin_app.services.access.fresh_proofs import family_holder
from admin_app.services.access.reads import ENGINE, Reader, SessionReader, run_inline
from admin_app.settings import Settings


@dataclasses.dataclass(frozen=True, kw_only=True)
class Principal:
    """Who a request acts as, and with which permissions."""

    user_id: int
    username: str
    full_name: str
    email: str
    mfa_enabled: bool
    roles: list[str]
    permissions: list[str]
    via_key: bool = False
    # What a fresh proof is kept under ("sudo mode", access/fresh_proofs.py):
    # the browser session or the token family; None for an API key.
    proof_holder: str | None = None

    def require(self, permission: str) -> None:
        """PermissionDenied unless this principal holds `permission`."""
        if permission not in self.permissions:
            raise PermissionDenied(f"This needs the {permission} permission.")


_users = User.__table__  # type: ignore[attr-defined]
_user_roles = UserRole.__table__  # type: ignore[attr-defined]
_roles = Role.__table__  # type: ignore[attr-defined]
_refresh_tokens = RefreshToken.__table__  # type: ignore[attr-defined]

# Logout and reuse detection set revoked_at on every row of a family, so a
# family is live while any row of it is unrevoked; on the hot path that is
# the first row the family_id index gives.
_FAMILY_LIVE = (
    sa.exists()
    .where(
        _refresh_tokens.c.family_id == sa.bindparam("family", type_=sa.String),
        _refresh_tokens.c.revoked_at.is_(None),
    )
    .label("family_live")
)

# Built once: the hot path of every API request. Users joined to their roles,
# and whether the token's refresh family is live (uncorrelated: computed once).
_PRINCIPAL = (
    sa.select(
        _users.c.username,
        _users.c.full_name,
        _users.c.email,
        _users.c.mfa_enabled,
        _users.c.is_active,
        _users.c.security_stamp,
        _FAMILY_LIVE,
        _roles.c.name,
    )
    .select_from(_users)
    .outerjoin(_user_roles, _user_roles.c.user_id == _users.c.id)
    .outerjoin(_roles, _roles.c.id == _user_roles.c.role_id)
    .where(_users.c.id == sa.bindparam("user_id"))
)


PRINCIPAL_QUERY = _PRINCIPAL


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccessClaims:
    """What a valid access token says: whose it is, under which stamp and family."""

    user_id: int
    stamp: int
    family: str | None


def query_params(*, user_id: int, family: str | None = None) -> dict[str, Any]:
    """PRINCIPAL_QUERY's parameters (`family`: the access token's, if any)."""
    return {"user_id": user_id, "family": family}


def principal_for_user(
    db: Session | Connection, *, user_id: int, stamp: object | None
) -> Principal:
    """The live user and permissions; one query."""
    rows = db.execute(_PRINCIPAL, query_params(user_id=user_id)).all()
    return principal_from_rows(rows, user_id=user_id, stamp=stamp)


def principal_from_rows(
    rows: Sequence[Any], *, user_id: int, stamp: object | None, family: str | None = None
) -> Principal:
    """The principal from PRINCIPAL_QUERY's rows; NotAuthenticated when the user
    is gone or disabled, `stamp` has moved on, or `family` has been revoked."""
    if not rows:
        raise NotAuthenticated()
    username, full_name, email, mfa, active, user_stamp, family_live, _ = rows[0]
    if not active or (stamp is not None and stamp != user_stamp):
        raise NotAuthenticated()
    if family is not None and not family_live:
        raise NotAuthenticated()
    roles = sorted({row[7] for row in rows if row[7] is not None})
    return Principal(
        user_id=user_id,
        username=username,
        full_name=full_name,
        email=email,
        mfa_enabled=mfa,
        roles=roles,
        permissions=permissions.for_roles(roles),
        proof_holder=family_holder(family) if family is not None else None,
    )


def access_claims(settings: Settings, token: str) -> AccessClaims:
    """The claims of a valid access token, or NotAuthenticated.

    The stamp (`ver`) is required: without it a token would outlive a
    password change or disabling. The family (`fam`) is optional: tokens of
    flows without a refresh family end with their stamp and expiry alone.
    """
    try:
        claims = tokens.verify(settings.jwt_secret, token, typ=tokens.TokenType.ACCESS)
        user_id = int(claims["sub"])
    except (tokens.InvalidToken, ValueError):
        raise NotAuthenticated() from None
    stamp, family = claims.get("ver"), claims.get("fam")
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        raise NotAuthenticated()
    if family is not None and (not isinstance(family, str) or not family):
        raise NotAuthenticated()
    return AccessClaims(user_id=user_id, stamp=stamp, family=family)


async def for_access_token(*, settings: Settings, token: str, reader: Reader = ENGINE) -> Principal:
    """The principal behind an access token, or NotAuthenticated; one query.

    The API's path (`reader` defaults to the no-thread-hop engine reads).
    """
    claims = access_claims(settings, token)
    rows = await reader.fetch(
        _PRINCIPAL, query_params(user_id=claims.user_id, family=claims.family)
    )
    return principal_from_rows(
        rows, user_id=claims.user_id, stamp=claims.stamp, family=claims.family
    )


def authenticate_access(db: Session | Connection, *, settings: Settings, token: str) -> Principal:
    """`for_access_token` for a caller that holds a session (the same code, run inline)."""
    return run_inline(for_access_token(settings=settings, token=token, reader=SessionReader(db)))
