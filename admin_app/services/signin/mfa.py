"""Per-user MFA in password mode (SPEC section 3).

In `otp` and `password+otp` modes a code is part of every sign-in, so MFA
is always on there and cannot be switched.
"""

from __future__ import annotations

from sqlmodel import Session

from admin_app.errors import InvalidCredentials, MfaFixed, UnknownCodeSession
from admin_app.mail.senders import Sender
from admin_app.models import User
from admin_app.services.audit import trail
from admin_app.services.email_codes import code_store
from admin_app.services.email_codes.code_step import CodeSent, send_code
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import plan, reauth
from admin_app.settings import Settings


def always_on(settings: Settings) -> bool:
    """Every sign-in needs the code here, so MFA cannot be switched (`plan.mfa_fixed`)."""
    return plan.mfa_fixed(settings)


def _switchable(settings: Settings) -> None:
    if always_on(settings):
        raise MfaFixed()


def enable(session: Session, *, settings: Settings, user: User, ctx: RequestContext) -> None:
    _switchable(settings)
    user.mfa_enabled = True
    session.add(user)
    trail.record(session, kind="mfa.enabled", ctx=ctx, user_id=user.id)


def disable_with_password(
    session: Session, *, settings: Settings, user: User, password: str, ctx: RequestContext
) -> None:
    """Turning MFA off needs proof: the password ..."""
    _switchable(settings)
    if user.password_hash is None:
        raise InvalidCredentials("That password is not right.", field="password")
    # Counted against the account's sign-in budget, before argon2 runs.
    reauth.check_current_password(
        session,
        settings=settings,
        user=user,
        password=password,
        ctx=ctx,
        failed_kind="mfa.disable_failed",
        message="That password is not right.",
        field="password",
    )
    _disable(session, user=user, ctx=ctx)


def send_disable_code(
    session: Session,
    *,
    settings: Settings,
    user: User,
    ctx: RequestContext,
    sender: Sender | None = None,
) -> CodeSent:
    """... or a fresh code sent to the user's address."""
    _switchable(settings)
    return send_code(
        session,
        settings=settings,
        user=user,
        purpose="confirm",
        ctx=ctx,
        payload={"identifier": user.email, "action": "mfa.disable"},
        sender=sender,
    )


def disable_with_code(
    session: Session,
    *,
    settings: Settings,
    user: User,
    otp_session_id: str,
    code: str,
    ctx: RequestContext,
) -> None:
    _switchable(settings)
    row = code_store.pending(session, otp_session_id)
    if row.user_id != user.id or row.purpose != "confirm":
        raise UnknownCodeSession()
    code_store.verify(session, settings=settings, code_id=otp_session_id, code=code)
    _disable(session, user=user, ctx=ctx)


def _disable(session: Session, *, user: User, ctx: RequestContext) -> None:
    user.mfa_enabled = False
    session.add(user)
    trail.record(session, kind="mfa.disabled", ctx=ctx, user_id=user.id)
