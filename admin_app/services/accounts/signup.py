"""Self sign-up with email verification (SPEC section 2).

The first step checks everything and mails a code; the account is created
only when the code comes back. An address that already has an account gets
the same answer on screen while its owner gets a mail: nothing is revealed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlmodel import Session

from admin_app.errors import MailNotSent, SignupDisabled, UsernameTaken, WeakPassword
from admin_app.mail import outbox
from admin_app.mail.senders import Sender
from admin_app.models import User
from admin_app.security.client_ip import limit_group
from admin_app.security.codes import mask_email
from admin_app.services.accounts import users
from admin_app.services.accounts.hasher import passwords
from admin_app.services.audit import trail
from admin_app.services.email_codes import code_store
from admin_app.services.email_codes.code_step import CodeSent, code_sent, decoy_code
from admin_app.services.limits import budgets
from admin_app.services.limits.throttle import keyed
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

SIGNUPS_PER_HOUR = 10  # per client address (IPv6 /64)


def begin(
    session: Session,
    *,
    settings: Settings,
    data: users.NewUser,
    ctx: RequestContext,
    sender: Sender | None = None,
) -> CodeSent:
    if not settings.signup_enabled:
        raise SignupDisabled()
    if settings.uses_passwords and not data.password:
        raise WeakPassword("Choose a password.", field="password")
    if not settings.uses_passwords:
        data = users.NewUser(username=data.username, full_name=data.full_name, email=data.email)
    data = users.validate_new_user(
        settings,
        users.NewUser(
            username=data.username,
            full_name=data.full_name,
            email=data.email,
            password=data.password,
        ),
    )
    # Taken (and committed) before anything costly or telling: the hash, the
    # mail, and the username check, which would otherwise be an oracle.
    budgets.take(
        session,
        f"signup:{limit_group(ctx.ip)}",
        limit=SIGNUPS_PER_HOUR,
        message="Too many sign-ups from this network. Try again later.",
    )
    session.commit()
    if users.find_by_identifier(session, data.username) is not None:
        raise UsernameTaken(field="username")
    # Both branches pay one hash, so the time does not tell them apart.
    password_hash = passwords(settings).hash(data.password) if data.password else None
    if users.find_by_identifier(session, data.email) is not None:
        return _existing_email(session, settings=settings, email=data.email, ctx=ctx, sender=sender)
    payload: dict[str, Any] = {
        "identifier": data.email,
        "username": data.username,
        "full_name": data.full_name,
        "email": data.email,
        "password_hash": password_hash,
    }
    issued = code_store.issue(
        session,
        settings=settings,
        purpose="signup",
        email=data.email,
        user_id=None,
        payload=payload,
        ip=ctx.ip,
    )
    assert issued.code is not None  # sign-up codes are never shared
    # Described before the mail goes, as the taken-email branch does: the same numbers.
    sent = code_sent(issued.row, sent_to=mask_email(data.email))
    try:
        outbox.send_code(settings, to=data.email, purpose="signup", code=issued.code, sender=sender)
    except MailNotSent:
        code_store.abandon(session, settings=settings, issued=issued, ip=ctx.ip)
        raise
    trail.record(session, kind="code.sent", ctx=ctx, purpose="signup", email=data.email)
    return sent


def _existing_email(
    session: Session, *, settings: Settings, email: str, ctx: RequestContext, sender: Sender | None
) -> CodeSent:
    """The same answer as a new address; the owner hears of it, a few times a day at most.

    The stand-in code row takes the same code budgets a real one would. The
    owner's mail is capped (one per 15 minutes, 3 a day); when none goes, the
    answer carries the time a mail would have taken, awaited by the face.
    """
    sent = decoy_code(
        session, settings=settings, purpose="signup", address=email, payload={}, ip=ctx.ip
    )
    trail.record(session, kind="signup.existing_email", ctx=ctx, email=email)
    owner = keyed(settings, email.casefold())
    quiet = budgets.try_take(
        session, f"signup-mail:{owner}", limit=1, window=dt.timedelta(minutes=15)
    )
    daily = (
        budgets.try_take(session, f"signup-mail-day:{owner}", limit=3, window=dt.timedelta(days=1))
        if quiet is None
        else quiet
    )
    session.commit()
    if quiet is not None or daily is not None:
        return dataclasses.replace(sent, delay=outbox.send_timer.delay())
    outbox.send_signup_attempt(settings, to=email, sender=sender)
    return dataclasses.replace(sent, delay=0.0)


def create_account(
    session: Session, *, settings: Settings, payload: dict[str, Any], ctx: RequestContext
) -> User:
    """The verified sign-up becomes an account (names are checked again: time has passed)."""
    if not settings.signup_enabled:
        raise SignupDisabled()
    user = users.create_user(
        session,
        settings=settings,
        data=users.NewUser(
            username=payload["username"], full_name=payload["full_name"], email=payload["email"]
        ),
        ctx=ctx,
        password_hash=payload.get("password_hash"),
    )
    trail.record(session, kind="signup.completed", ctx=ctx, user_id=user.id)
    return user
