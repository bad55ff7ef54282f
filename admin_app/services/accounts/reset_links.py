"""One-time password-reset links (SPEC sections 9 and 11).

256 random bits, stored hashed, valid 24 hours, single use; a newer link or
a password change kills older ones; built from APP_URL, never from a Host
header. Using one signs the user out everywhere.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, col

from admin_app.clock import now
from admin_app.errors import DomainError, ForgotUnavailable, InvalidResetLink, MailNotSent
from admin_app.mail import outbox
from admin_app.mail.senders import Sender
from admin_app.models import ResetLink, User
from admin_app.security.randomness import digest, new_token
from admin_app.services.accounts import users
from admin_app.services.audit import trail
from admin_app.services.limits import budgets, lockout
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

LIFETIME = dt.timedelta(hours=24)
PATH = "/reset-password"


@dataclasses.dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: dt.datetime


def expire_for(session: Session, *, user_id: int) -> None:
    """Kill every unused link of a user (a newer link, or a password change)."""
    session.execute(
        sa.update(ResetLink)
        .where(col(ResetLink.user_id) == user_id, col(ResetLink.used_at).is_(None))
        .values(used_at=now())
    )


def issue(
    session: Session,
    *,
    settings: Settings,
    user: User,
    ctx: RequestContext,
    actor_id: int | None,
) -> IssuedLink:
    assert user.id is not None
    expire_for(session, user_id=user.id)
    token = new_token(32)
    expires_at = now() + LIFETIME
    session.add(
        ResetLink(
            token_hash=digest(token), user_id=user.id, created_by=actor_id, expires_at=expires_at
        )
    )
    trail.record(session, kind="reset_link.created", ctx=ctx, user_id=user.id, actor_id=actor_id)
    return IssuedLink(url=f"{settings.app_url}{PATH}?token={token}", expires_at=expires_at)


MAX_MAILED_PER_HOUR = 3


def forgot_offered(settings: Settings) -> bool:
    """ "Forgot password" mails a link only where mail is the sign-in channel anyway."""
    return settings.code_at_every_signin


def request_by_email(
    session: Session,
    *,
    settings: Settings,
    email: str,
    ctx: RequestContext,
    sender: Sender | None = None,
) -> float:
    """ "Forgot password": mail a link when the address has an active account.

    Answers the same either way, in about the same time: where no mail goes
    (an unknown address, or an account past its 3 links an hour) the answer
    carries the seconds a mail would have taken, for the face to await on its
    event loop. Only where mail is the sign-in channel anyway (otp,
    password+otp).
    """
    if not forgot_offered(settings):
        raise ForgotUnavailable()
    try:
        address = users.normalise_email(email)
    except DomainError:
        return outbox.send_timer.delay()
    user = users.find_by_identifier(session, address)
    if user is None or not user.is_active or user.id is None:
        return outbox.send_timer.delay()
    # Taken atomically (and committed) before the mail: parallel asks get 3 links.
    if budgets.try_take(session, f"reset:{user.id}", limit=MAX_MAILED_PER_HOUR) is not None:
        trail.record(session, kind="reset_link.throttled", ctx=ctx, user_id=user.id)
        session.commit()
        return outbox.send_timer.delay()
    session.commit()
    link = issue(session, settings=settings, user=user, ctx=ctx, actor_id=None)
    # Kept before the mail goes: no write transaction waits on the mail server.
    session.commit()
    try:
        outbox.send_reset_link(settings, to=user.email, url=link.url, sender=sender)
    except MailNotSent:
        # The link that never went dies, and the answer is the unknown
        # address's: an SMTP outage must not tell which addresses exist.
        expire_for(session, user_id=user.id)
        trail.record(session, kind="mail.failed", ctx=ctx, user_id=user.id, what="reset_link")
        session.commit()
    return 0.0


def check(session: Session, *, token: str) -> User:
    """The user a live link is for, without using it up."""
    row = session.get(ResetLink, digest(token)) if 0 < len(token) <= 128 else None
    if row is None or row.used_at is not None or row.expires_at <= now():
        raise InvalidResetLink()
    return users.get(session, row.user_id)


def use(
    session: Session, *, settings: Settings, token: str, password: str, ctx: RequestContext
) -> User:
    """Set the new password; the link dies, and so does every session of the user."""
    user = check(session, token=token)
    new = users.prepare_password(
        settings, password=password, username=user.username, email=user.email
    )
    claimed = session.execute(
        sa.update(ResetLink)
        .where(col(ResetLink.token_hash) == digest(token), col(ResetLink.used_at).is_(None))
        .values(used_at=now())
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise InvalidResetLink()
    users.set_password(
        session, settings=settings, user=user, password=new, ctx=ctx, kind="password.reset"
    )
    # The link came by mail: the owner is proved, so a hard lock ends too.
    assert user.id is not None
    lockout.clear(session, user_id=user.id)
    return user
