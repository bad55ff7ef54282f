"""Proof for sensitive changes by a signed-in user (SPEC sections 3 and 11).

A current-password check spends the account's sign-in budget like any
password sign-in (throttle.py), taken before argon2 runs: a stolen session
is not a faster way to guess the password. Where there is no password to
check, proof is a sign-in within the last 10 minutes or a fresh code.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import InvalidCredentials, ProofNeeded, UnknownCodeSession
from admin_app.models import AuthSession, User
from admin_app.services import on_record
from admin_app.services.accounts.hasher import passwords
from admin_app.services.email_codes import code_store
from admin_app.services.limits import throttle
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

RECENT_SIGN_IN = dt.timedelta(minutes=10)


def check_current_password(
    session: Session,
    *,
    settings: Settings,
    user: User,
    password: str,
    ctx: RequestContext,
    failed_kind: str,
    message: str,
    field: str,
) -> None:
    """The user's own password, checked against the account's budget; raises on failure."""
    assert user.id is not None
    taken = throttle.take(
        session, settings=settings, identifier=user.email, user_id=user.id, ip=ctx.ip
    )
    if not passwords(settings).verify(user.password_hash, password[:4096]):
        on_record.audit(session, kind=failed_kind, ctx=ctx, user_id=user.id)
        raise InvalidCredentials(message, field=field)
    throttle.give_back(session, taken)
    # Committed now: the new password's hash must not run inside a write transaction.
    session.commit()


def recently_signed_in(session: Session, *, user: User, session_id: str | None) -> bool:
    row = session.get(AuthSession, session_id) if session_id else None
    return (
        row is not None
        and row.user_id == user.id
        and row.revoked_at is None
        and row.created_at > now() - RECENT_SIGN_IN
    )


def prove(
    session: Session,
    *,
    settings: Settings,
    user: User,
    action: str,
    session_id: str | None,
    otp_session_id: str | None,
    code: str | None,
) -> None:
    """A recent sign-in, or the right code of a "confirm" flow for `action`; else ProofNeeded."""
    if recently_signed_in(session, user=user, session_id=session_id):
        return
    if not otp_session_id or not code:
        raise ProofNeeded()
    row = code_store.pending(session, otp_session_id)
    if (
        row.user_id != user.id
        or row.purpose != "confirm"
        or code_store.payload_of(row).get("action") != action
    ):
        raise UnknownCodeSession()
    code_store.verify(session, settings=settings, code_id=otp_session_id, code=code)
