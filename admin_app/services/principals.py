"""Who a request acts as: the principal (user, roles, permissions) behind an
access token or an API key, read with one prebuilt query (a hot path)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from admin_app.errors import NotAuthenticated, PermissionDenied
from admin_app.models import Role, User, UserRole
from admin_app.security import tokens
from admin_app.services import permissions
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

    def require(self, permission: str) -> None:
        """PermissionDenied unless this principal holds `permission`."""
        if permission not in self.permissions:
            raise PermissionDenied(f"This needs the {permission} permission.")


_users = User.__table__  # type: ignore[attr-defined]
_user_roles = UserRole.__table__  # type: ignore[attr-defined]
_roles = Role.__table__  # type: ignore[attr-defined]

# Built once: the hot path of every API request. Users joined to their roles.
_PRINCIPAL = (
    sa.select(
        _users.c.username,
        _users.c.full_name,
        _users.c.email,
        _users.c.mfa_enabled,
        _users.c.is_active,
        _users.c.security_stamp,
        _roles.c.name,
    )
    .select_from(_users)
    .outerjoin(_user_roles, _user_roles.c.user_id == _users.c.id)
    .outerjoin(_roles, _roles.c.id == _user_roles.c.role_id)
    .where(_users.c.id == sa.bindparam("user_id"))
)


PRINCIPAL_QUERY = _PRINCIPAL


def principal_for_user(
    db: Session | Connection, *, user_id: int, stamp: object | None
) -> Principal:
    """The live user and permissions; one query."""
    rows = db.execute(_PRINCIPAL, {"user_id": user_id}).all()
    return principal_from_rows(rows, user_id=user_id, stamp=stamp)


def principal_from_rows(rows: Sequence[Any], *, user_id: int, stamp: object | None) -> Principal:
    """The principal from PRINCIPAL_QUERY's rows (for callers that run it themselves)."""
    if not rows:
        raise NotAuthenticated()
    username, full_name, email, mfa, active, user_stamp, _ = rows[0]
    if not active or (stamp is not None and stamp != user_stamp):
        raise NotAuthenticated()
    roles = sorted({row[6] for row in rows if row[6] is not None})
    return Principal(
        user_id=user_id,
        username=username,
        full_name=full_name,
        email=email,
        mfa_enabled=mfa,
        roles=roles,
        permissions=permissions.for_roles(roles),
    )


def access_claims(settings: Settings, token: str) -> tuple[int, object]:
    """(user id, security stamp) of a valid access token, or NotAuthenticated."""
    try:
        claims = tokens.verify(settings.jwt_secret, token, typ=tokens.TokenType.ACCESS)
        return int(claims["sub"]), claims.get("ver")
    except (tokens.InvalidToken, ValueError):
        raise NotAuthenticated() from None


def authenticate_access(db: Session | Connection, *, settings: Settings, token: str) -> Principal:
    """The principal behind an access token, or NotAuthenticated."""
    user_id, stamp = access_claims(settings, token)
    return principal_for_user(db, user_id=user_id, stamp=stamp)
