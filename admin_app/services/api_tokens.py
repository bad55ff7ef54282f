"""Access and refresh tokens for the REST API (SPEC section 6).

Access tokens are short JWTs checked without a write. Refresh tokens are
JWTs naming a row; each refresh marks its row used and chains a successor
in the same family. A used token presented again revokes the family, except
within the grace window, when a concurrent client gets the successor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from admin_app.clock import now
from admin_app.errors import DomainError, NotAuthenticated
from admin_app.models import RefreshToken, Role, User, UserRole
from admin_app.security import tokens
from admin_app.security.randomness import new_id
from admin_app.services import audit, permissions
from admin_app.services.context import RequestContext
from admin_app.services.token_families import revoke_family
from admin_app.settings import Settings


class InvalidRefreshToken(DomainError):
    code = "invalid_refresh_token"
    status = 401
    message = "The refresh token is not valid. Sign in again."


@dataclasses.dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


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


def _access(settings: Settings, user_id: int, stamp: int) -> str:
    return tokens.issue(
        settings.jwt_secret,
        typ=tokens.TokenType.ACCESS,
        sub=str(user_id),
        ttl=settings.access_token_ttl,
        ver=stamp,
    )


def _refresh_jwt(settings: Settings, row: RefreshToken, stamp: int) -> str:
    ttl = int((row.expires_at - now()).total_seconds())
    return tokens.issue(
        settings.jwt_secret,
        typ=tokens.TokenType.REFRESH,
        sub=str(row.user_id),
        ttl=max(ttl, 1),
        jti=row.id,
        fam=row.family_id,
        ver=stamp,
    )


def _new_row(settings: Settings, *, user_id: int, family_id: str, row_id: str) -> RefreshToken:
    return RefreshToken(
        id=row_id,
        family_id=family_id,
        user_id=user_id,
        expires_at=now() + dt.timedelta(seconds=settings.refresh_token_ttl),
    )


def issue_pair(
    session: Session, *, settings: Settings, user: User, ctx: RequestContext, method: str
) -> TokenPair:
    """A new token family for a user who has passed every sign-in stage."""
    assert user.id is not None
    row = _new_row(settings, user_id=user.id, family_id=new_id(), row_id=new_id())
    session.add(row)
    session.flush()
    audit.record(
        session, kind="signin.succeeded", ctx=ctx, user_id=user.id, method=method, client="api"
    )
    return TokenPair(
        access_token=_access(settings, user.id, user.security_stamp),
        refresh_token=_refresh_jwt(settings, row, user.security_stamp),
        expires_in=settings.access_token_ttl,
    )


def _claims(settings: Settings, refresh_token: str) -> dict[str, object]:
    try:
        return tokens.verify(settings.jwt_secret, refresh_token, typ=tokens.TokenType.REFRESH)
    except tokens.InvalidToken:
        raise InvalidRefreshToken() from None


def _live_user(session: Session, user_id: int, stamp: object) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.security_stamp != stamp:
        raise InvalidRefreshToken()
    return user


def refresh(
    session: Session, *, settings: Settings, refresh_token: str, ctx: RequestContext
) -> TokenPair:
    """Rotate: the presented token dies and a new pair comes back."""
    claims = _claims(settings, refresh_token)
    token_id = str(claims.get("jti", ""))
    moment = now()
    successor_id = new_id()
    won = session.execute(
        sa.update(RefreshToken)
        .where(
            col(RefreshToken.id) == token_id,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.revoked_at).is_(None),
            col(RefreshToken.expires_at) > moment,
        )
        .values(used_at=moment, replaced_by=successor_id)
        .returning(col(RefreshToken.user_id), col(RefreshToken.family_id))
    ).first()
    if won is not None:
        user_id, family_id = won
        user = _live_user(session, user_id, claims.get("ver"))
        row = _new_row(settings, user_id=user_id, family_id=family_id, row_id=successor_id)
        session.add(row)
        session.flush()
        return TokenPair(
            access_token=_access(settings, user_id, user.security_stamp),
            refresh_token=_refresh_jwt(settings, row, user.security_stamp),
            expires_in=settings.access_token_ttl,
        )
    return _replayed(session, settings=settings, token_id=token_id, claims=claims, ctx=ctx)


def _replayed(
    session: Session,
    *,
    settings: Settings,
    token_id: str,
    claims: dict[str, object],
    ctx: RequestContext,
) -> TokenPair:
    row = session.get(RefreshToken, token_id)
    if row is None or row.revoked_at is not None or row.used_at is None:
        raise InvalidRefreshToken()
    grace = dt.timedelta(seconds=settings.refresh_reuse_grace)
    successor = session.get(RefreshToken, row.replaced_by) if row.replaced_by else None
    if (
        now() - row.used_at <= grace
        and successor is not None
        and successor.revoked_at is None
        and successor.used_at is None
    ):
        # Two tabs or threads refreshed at once: the slower one gets the same successor.
        user = _live_user(session, row.user_id, claims.get("ver"))
        return TokenPair(
            access_token=_access(settings, row.user_id, user.security_stamp),
            refresh_token=_refresh_jwt(settings, successor, user.security_stamp),
            expires_in=settings.access_token_ttl,
        )
    # A token used twice, outside the grace window: likely stolen. End the family.
    revoke_family(session, family_id=row.family_id)
    audit.record(session, kind="token.reuse_detected", ctx=ctx, user_id=row.user_id)
    session.commit()
    raise InvalidRefreshToken()


def logout(session: Session, *, settings: Settings, refresh_token: str) -> None:
    """End the family of `refresh_token`; quietly does nothing for a bad token."""
    try:
        claims = tokens.verify(settings.jwt_secret, refresh_token, typ=tokens.TokenType.REFRESH)
    except tokens.InvalidToken:
        return
    family = claims.get("fam")
    if isinstance(family, str):
        revoke_family(session, family_id=family)


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


def principal_for_user(
    db: Session | Connection, *, user_id: int, stamp: object | None
) -> Principal:
    """The live user and permissions; one query."""
    rows = db.execute(_PRINCIPAL, {"user_id": user_id}).all()
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


def authenticate_access(db: Session | Connection, *, settings: Settings, token: str) -> Principal:
    """The principal behind an access token, or NotAuthenticated."""
    try:
        claims = tokens.verify(settings.jwt_secret, token, typ=tokens.TokenType.ACCESS)
        user_id = int(claims["sub"])
    except (tokens.InvalidToken, ValueError):
        raise NotAuthenticated() from None
    return principal_for_user(db, user_id=user_id, stamp=claims.get("ver"))
