"""A signed-in user's own account: name, password, sessions."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.errors import InvalidCredentials
from admin_app.models import AuthSession, User
from admin_app.services import audit, sessions, users
from admin_app.services.context import RequestContext
from admin_app.services.hashing import passwords
from admin_app.settings import Settings


@dataclasses.dataclass(frozen=True)
class SessionInfo:
    id: str
    device: str
    ip: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool


def rename(session: Session, *, user: User, full_name: str, ctx: RequestContext) -> None:
    user.full_name = users.validate_full_name(full_name)
    user.updated_at = now()
    session.add(user)
    audit.record(session, kind="profile.updated", ctx=ctx, user_id=user.id)


def change_password(
    session: Session,
    *,
    settings: Settings,
    user: User,
    current: str,
    new: str,
    ctx: RequestContext,
    current_session_id: str | None,
) -> None:
    """Needs the current password (when the user has one); other sessions end."""
    if user.password_hash is not None and not passwords(settings).verify(
        user.password_hash, current
    ):
        audit.record(session, kind="password.change_failed", ctx=ctx, user_id=user.id)
        session.commit()
        raise InvalidCredentials("Your current password is not right.", field="current_password")
    users.set_password(
        session,
        settings=settings,
        user=user,
        password=new,
        ctx=ctx,
        keep_session_id=current_session_id,
    )


def describe_device(user_agent: str) -> str:
    ua = user_agent.lower()
    browser = next(
        (
            name
            for key, name in [
                ("edg/", "Edge"),
                ("firefox/", "Firefox"),
                ("chrome/", "Chrome"),
                ("safari/", "Safari"),
                ("curl/", "curl"),
                ("python", "Python"),
            ]
            if key in ua
        ),
        "Browser",
    )
    system = next(
        (
            name
            for key, name in [
                ("windows", "Windows"),
                ("android", "Android"),
                ("iphone", "iPhone"),
                ("mac os", "macOS"),
                ("linux", "Linux"),
            ]
            if key in ua
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser


def live_sessions(session: Session, *, user_id: int, current_id: str | None) -> list[SessionInfo]:
    rows = session.exec(
        select(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > now(),
        )
        .order_by(col(AuthSession.last_seen_at).desc())
    ).all()
    return [
        SessionInfo(
            id=row.id,
            device=describe_device(row.user_agent),
            ip=row.ip,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            current=row.id == current_id,
        )
        for row in rows
    ]


def sign_out_others(session: Session, *, user_id: int, current_id: str, ctx: RequestContext) -> int:
    ended = sessions.revoke_all(session, user_id=user_id, except_id=current_id)
    audit.record(session, kind="sessions.revoked", ctx=ctx, user_id=user_id, count=ended)
    return ended
