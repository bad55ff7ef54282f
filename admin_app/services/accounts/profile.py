"""A signed-in user's own account: name, password, sessions."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.errors import PasswordsOff
from admin_app.mail.senders import Sender
from admin_app.models import AuthSession, User
from admin_app.services.access import browser_sessions
from admin_app.services.accounts import users
from admin_app.services.audit import trail
from admin_app.services.devices import describe_device
from admin_app.services.email_codes.code_step import CodeSent, send_code
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import reauth
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
    trail.record(session, kind="profile.updated", ctx=ctx, user_id=user.id)


ACTION_SET = "password.set"


def change_password(
    session: Session,
    *,
    settings: Settings,
    user: User,
    current: str,
    new: str,
    ctx: RequestContext,
    current_session_id: str | None,
    otp_session_id: str | None = None,
    code: str | None = None,
    sender: Sender | None = None,
) -> None:
    """Change (or first set) the password; other sessions end and the owner is told by mail.

    Needs the current password, checked against the account's sign-in
    budget. A user with none yet (OAuth, admin-made) proves it is them by a
    sign-in within 10 minutes or a fresh code (`send_password_code`). In
    `otp` mode there are no passwords to change.
    """
    if not settings.uses_passwords:
        raise PasswordsOff()
    prepared: users.NewPassword | str = new
    if user.password_hash is not None:
        reauth.check_current_password(
            session,
            settings=settings,
            user=user,
            password=current,
            ctx=ctx,
            failed_kind="password.change_failed",
            message="Your current password is not right.",
            field="current_password",
        )
    else:
        # Hashed before the proof: a right code is used up in a write transaction.
        prepared = users.prepare_password(
            settings, password=new, username=user.username, email=user.email
        )
        reauth.prove(
            session,
            settings=settings,
            user=user,
            action=ACTION_SET,
            session_id=current_session_id,
            otp_session_id=otp_session_id,
            code=code,
        )
    users.set_password(
        session,
        settings=settings,
        user=user,
        password=prepared,
        ctx=ctx,
        keep_session_id=current_session_id,
    )


def send_password_code(
    session: Session,
    *,
    settings: Settings,
    user: User,
    ctx: RequestContext,
    sender: Sender | None = None,
) -> CodeSent:
    """A code that lets a user without a password set one."""
    if not settings.uses_passwords:
        raise PasswordsOff()
    return send_code(
        session,
        settings=settings,
        user=user,
        purpose="confirm",
        ctx=ctx,
        payload={"identifier": user.email, "action": ACTION_SET},
        sender=sender,
    )


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
    ended = browser_sessions.revoke_all(session, user_id=user_id, except_id=current_id)
    trail.record(session, kind="sessions.revoked", ctx=ctx, user_id=user_id, count=ended)
    return ended
