"""Server-side browser sessions, and the hand-off that puts one in a cookie.

A sign-in in a Reflex state cannot set an HttpOnly cookie (page JavaScript
would have to write it), so it ends by creating the session row and a
single-use ticket; the browser posts the ticket to an HTTP route, which
redeems it and sets the cookie (DESIGN.md, "The HTTP-only cookie").
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy import and_, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from admin_app.clock import now
from admin_app.models import (
    AuthSession,
    HandoffTicket,
    Passkey,
    Role,
    TotpFactor,
    User,
    UserRole,
)
from admin_app.models.user import ADMIN_ROLE, USER_ROLE
from admin_app.security import tokens
from admin_app.security.randomness import digest, new_id, new_token
from admin_app.services.access import fresh_proofs, permissions
from admin_app.services.audit import trail
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

HANDOFF_TTL_SECONDS = 60
# A browser-session cookie can outlive "closing the browser" when the browser
# restores tabs; the server ends such a session after this long regardless.
DEFAULT_SESSION_LIFETIME_SECONDS = 12 * 3600
# last_seen_at is a display hint; writing it on every page load would turn
# every read into a write.
LAST_SEEN_RESOLUTION = dt.timedelta(seconds=60)


_sessions = AuthSession.__table__  # type: ignore[attr-defined]
_users = User.__table__  # type: ignore[attr-defined]
_user_roles = UserRole.__table__  # type: ignore[attr-defined]
_roles = Role.__table__  # type: ignore[attr-defined]
_totp = TotpFactor.__table__  # type: ignore[attr-defined]
_passkeys = Passkey.__table__  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SessionUser:
    """The signed-in user as the faces see it: no secrets."""

    user_id: int
    session_id: str
    username: str
    full_name: str
    email: str
    is_admin: bool
    permissions: tuple[str, ...] = ()
    # MFA_REQUIRED covers this user and they have no authenticator app yet:
    # every page sends them to add one first.
    needs_factor: bool = False


def lifetime_seconds(settings: Settings) -> int:
    return settings.session_cookie_max_age or DEFAULT_SESSION_LIFETIME_SECONDS


def start(
    session: Session, *, settings: Settings, user_id: int, ctx: RequestContext
) -> AuthSession:
    """Open a session row for a user who has just proved who they are."""
    moment = now()
    row = AuthSession(
        id=new_id(),
        user_id=user_id,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + dt.timedelta(seconds=lifetime_seconds(settings)),
        ip=ctx.ip[:64],
        user_agent=ctx.user_agent[:512],
    )
    session.execute(sa.insert(_sessions), [row.model_dump()])
    # A sign-in is a proof: the session may make sensitive changes for a while.
    fresh_proofs.mark(
        session,
        holder=fresh_proofs.session_holder(row.id),
        user_id=user_id,
        until=fresh_proofs.fresh_until(settings),
    )
    return row


def new_device(session: Session, *, user_id: int, user_agent: str) -> bool:
    """Whether no earlier session of the user came from this browser (its User-Agent).

    False for a user with no session at all yet: their first sign-in is not news.
    """
    seen = session.execute(
        sa.select(_sessions.c.user_agent).where(_sessions.c.user_id == user_id).distinct()
    ).scalars()
    agents = set(seen)
    return bool(agents) and user_agent[:512] not in agents


def issue_handoff(session: Session, *, session_id: str, trust_browser: bool = False) -> str:
    """A single-use ticket, valid for seconds, that a browser trades for the cookie
    (and, with `trust_browser`, for a "trust this browser" cookie as well)."""
    ticket = new_token()
    session.execute(
        sa.insert(HandoffTicket.__table__),  # type: ignore[attr-defined]
        {
            "token_hash": digest(ticket),
            "session_id": session_id,
            "expires_at": now() + dt.timedelta(seconds=HANDOFF_TTL_SECONDS),
            "used_at": None,
            "trust_browser": trust_browser,
        },
    )
    return ticket


@dataclasses.dataclass(frozen=True, kw_only=True)
class Redeemed:
    cookie: str
    user_id: int
    trust_browser: bool


def redeem_handoff(session: Session, *, settings: Settings, ticket: str) -> str | None:
    """The cookie value for `ticket`, or None when it is unknown, used or stale."""
    redeemed = redeem(session, settings=settings, ticket=ticket)
    return redeemed.cookie if redeemed else None


def redeem(session: Session, *, settings: Settings, ticket: str) -> Redeemed | None:
    """What `ticket` hands over, or None when it is unknown, used or stale.

    The ticket is marked used by one conditional UPDATE, so two requests racing
    with the same ticket cannot both win.
    """
    if not ticket or len(ticket) > 128:
        return None
    moment = now()
    claimed = session.execute(
        update(HandoffTicket)
        .where(
            and_(
                col(HandoffTicket.token_hash) == digest(ticket),
                col(HandoffTicket.used_at).is_(None),
                col(HandoffTicket.expires_at) > moment,
            )
        )
        .values(used_at=moment)
        .returning(col(HandoffTicket.session_id), col(HandoffTicket.trust_browser))
    ).first()
    if claimed is None:
        return None
    row = session.get(AuthSession, claimed[0])
    if row is None or row.revoked_at is not None:
        return None
    return Redeemed(
        cookie=cookie_token(settings, row), user_id=row.user_id, trust_browser=bool(claimed[1])
    )


def cookie_token(settings: Settings, row: AuthSession) -> str:
    ttl = int((row.expires_at - now()).total_seconds())
    return tokens.issue(
        settings.jwt_secret,
        typ=tokens.TokenType.SESSION,
        sub=str(row.user_id),
        ttl=max(ttl, 1),
        sid=row.id,
    )


# Built once: every protected page load runs it.
_IS_ADMIN = (
    sa.select(_user_roles.c.user_id)
    .join(_roles, _roles.c.id == _user_roles.c.role_id)
    .where(_roles.c.name == ADMIN_ROLE, _user_roles.c.user_id == _users.c.id)
    .exists()
)
_HAS_APP = sa.or_(
    sa.select(_totp.c.id)
    .where(_totp.c.user_id == _users.c.id, _totp.c.confirmed_at.is_not(None))
    .exists(),
    sa.select(_passkeys.c.id).where(_passkeys.c.user_id == _users.c.id).exists(),
)
_SESSION_USER = (
    sa.select(
        _sessions.c.last_seen_at,
        _users.c.id,
        _users.c.username,
        _users.c.full_name,
        _users.c.email,
        _IS_ADMIN,
        _HAS_APP,
    )
    .join(_users, _users.c.id == _sessions.c.user_id)
    .where(
        _sessions.c.id == sa.bindparam("session_id"),
        _sessions.c.revoked_at.is_(None),
        _sessions.c.expires_at > sa.bindparam("moment", type_=_sessions.c.expires_at.type),
        # Idle sessions end (ASVS 7.3.1); last_seen_at moves at most once a minute.
        _sessions.c.last_seen_at > sa.bindparam("idle_since", type_=_sessions.c.last_seen_at.type),
        _users.c.is_active.is_(True),
    )
)
_TOUCH = (
    sa.update(_sessions)
    .where(_sessions.c.id == sa.bindparam("session_id"))
    .values(last_seen_at=sa.bindparam("moment", type_=_sessions.c.last_seen_at.type))
)


def current_user(
    db: Session | Connection, *, settings: Settings, token: str | None
) -> SessionUser | None:
    """The user behind a `token` cookie, checked against the session row."""
    if not token:
        return None
    try:
        claims = tokens.verify(settings.jwt_secret, token, typ=tokens.TokenType.SESSION)
    except tokens.InvalidToken:
        return None
    session_id = claims.get("sid")
    if not isinstance(session_id, str):
        return None
    moment = now()
    idle_since = moment - dt.timedelta(seconds=settings.session_idle_timeout)
    row = db.execute(
        _SESSION_USER, {"session_id": session_id, "moment": moment, "idle_since": idle_since}
    ).first()
    if row is None or str(row[1]) != claims["sub"]:
        return None
    last_seen, user_id, username, full_name, email, is_admin, has_app = row
    if moment - last_seen > LAST_SEEN_RESOLUTION:
        db.execute(_TOUCH, {"session_id": session_id, "moment": moment})
    return SessionUser(
        user_id=user_id,
        session_id=session_id,
        username=username,
        full_name=full_name,
        email=email,
        is_admin=bool(is_admin),
        # Every user holds the User role; Admin is the only other one.
        permissions=tuple(permissions.for_roles([USER_ROLE, *([ADMIN_ROLE] if is_admin else [])])),
        needs_factor=settings.factors.mfa_covers(is_admin=bool(is_admin)) and not has_app,
    )


def revoke(session: Session, *, session_id: str) -> int | None:
    """End one session; the user id it belonged to, or None if it was not live."""
    row = session.get(AuthSession, session_id)
    if row is None or row.revoked_at is not None:
        return None
    row.revoked_at = now()
    session.add(row)
    return row.user_id


def sign_out(
    session: Session, *, settings: Settings, token: str | None, ctx: RequestContext
) -> None:
    """Sign-out: the session behind a cookie's token ends on the server, audited.

    A missing, forged or already ended token changes nothing (the face clears
    the cookie either way).
    """
    if not token:
        return
    try:
        claims = tokens.verify(settings.jwt_secret, token, typ=tokens.TokenType.SESSION)
    except tokens.InvalidToken:
        return
    user_id = revoke(session, session_id=str(claims.get("sid", "")))
    if user_id is not None:
        trail.record(session, kind="signout", ctx=ctx, user_id=user_id)


def revoke_all(session: Session, *, user_id: int, except_id: str | None = None) -> int:
    """End every live session of a user (but `except_id`); how many ended."""
    query = update(AuthSession).where(
        col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None)
    )
    if except_id is not None:
        query = query.where(col(AuthSession.id) != except_id)
    result = session.execute(query.values(revoked_at=now()))
    return int(getattr(result, "rowcount", 0) or 0)
