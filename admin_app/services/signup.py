"""Self sign-up with email verification (SPEC section 2).

The first step checks everything and mails a code; the account is created
only when the code comes back. An address that already has an account gets
the same answer on screen while its owner gets a mail: nothing is revealed.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from admin_app.errors import SignupDisabled, UsernameTaken, WeakPassword
from admin_app.mail.senders import Sender
from admin_app.models import User
from admin_app.security.codes import mask_email
from admin_app.services import audit, codes, mailer, users
from admin_app.services.context import RequestContext
from admin_app.services.hashing import passwords
from admin_app.services.signin import CodeSent, code_sent, decoy_code
from admin_app.settings import Settings


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
    if users.find_by_identifier(session, data.username) is not None:
        raise UsernameTaken(field="username")
    if users.find_by_identifier(session, data.email) is not None:
        mailer.send_signup_attempt(settings, to=data.email, sender=sender)
        audit.record(session, kind="signup.existing_email", ctx=ctx, email=data.email)
        sent = decoy_code(
            session, settings=settings, purpose="signup", address=data.email, payload={}
        )
        return sent
    payload: dict[str, Any] = {
        "identifier": data.email,
        "username": data.username,
        "full_name": data.full_name,
        "email": data.email,
        "password_hash": passwords(settings).hash(data.password) if data.password else None,
    }
    issued = codes.issue(
        session,
        settings=settings,
        purpose="signup",
        email=data.email,
        user_id=None,
        payload=payload,
    )
    mailer.send_code(settings, to=data.email, purpose="signup", code=issued.code, sender=sender)
    audit.record(session, kind="code.sent", ctx=ctx, purpose="signup", email=data.email)
    return code_sent(issued.row, sent_to=mask_email(data.email))


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
    audit.record(session, kind="signup.completed", ctx=ctx, user_id=user.id)
    return user
