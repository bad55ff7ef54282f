"""A code on its way: issued and mailed, shared while live, or a decoy, and how
the faces describe it (`CodeSent`). Used by sign-in, sign-up, MFA and the
profile alike; the stages themselves are in signin.py.
"""

from __future__ import annotations

import dataclasses
import math

from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import MailNotSent
from admin_app.mail import outbox
from admin_app.mail.senders import Sender
from admin_app.models import OneTimeCode, User
from admin_app.security.codes import mask_email
from admin_app.services.audit import trail
from admin_app.services.email_codes import code_store
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings


@dataclasses.dataclass(frozen=True, kw_only=True)
class CodeSent:
    """A sign-in (or sign-up) waiting for the code that was mailed."""

    otp_session_id: str
    expires_in: int
    sent_to: str
    resend_in: int
    purpose: str
    # Seconds the face should wait (on its event loop) before answering: an
    # unknown address's stand-in for the time a real mail takes.
    delay: float = 0.0
    # How this step may be met (signin/plan.py `Method`), first the one offered
    # first, and whether the email code has gone out (a factor step mails it
    # only when the user picks it).
    methods: tuple[str, ...] = ("email",)
    mailed: bool = True


def code_sent(row: OneTimeCode, *, sent_to: str | None = None) -> CodeSent:
    moment = now()
    return CodeSent(
        otp_session_id=row.id,
        expires_in=max(0, math.ceil((row.expires_at - moment).total_seconds())),
        sent_to=sent_to or mask_email(row.email),
        resend_in=max(
            0,
            math.ceil(
                code_store.RESEND_COOLDOWN_SECONDS - (moment - row.created_at).total_seconds()
            ),
        ),
        purpose=row.purpose,
    )


def send_code(
    session: Session,
    *,
    settings: Settings,
    user: User,
    purpose: str,
    ctx: RequestContext,
    payload: dict[str, object],
    sender: Sender | None = None,
) -> CodeSent:
    """Issue a code for `user` and mail it; on a mail failure nothing is kept.

    A sign-in started while the user's code is live shares that code: no
    second mail (codes.py).
    """
    issued = code_store.issue(
        session,
        settings=settings,
        purpose=purpose,
        email=user.email,
        user_id=user.id,
        payload=payload,
        ip=ctx.ip,
    )
    mail_issued(session, settings=settings, issued=issued, ctx=ctx, sender=sender)
    return code_sent(issued.row)


def mail_issued(
    session: Session,
    *,
    settings: Settings,
    issued: code_store.Issued,
    ctx: RequestContext,
    sender: Sender | None,
) -> None:
    """Mail an issued code (nothing new when it shares a live one); a failed mail leaves no code."""
    row = issued.row
    if issued.code is None:
        trail.record(
            session,
            kind="code.sent",
            ctx=ctx,
            user_id=row.user_id,
            purpose=row.purpose,
            shared=True,
        )
        return
    try:
        outbox.send_code(
            settings, to=row.email, purpose=row.purpose, code=issued.code, sender=sender
        )
    except MailNotSent:
        code_store.abandon(session, settings=settings, issued=issued, ip=ctx.ip)
        raise
    trail.record(session, kind="code.sent", ctx=ctx, user_id=row.user_id, purpose=row.purpose)


def decoy_code(
    session: Session,
    *,
    settings: Settings,
    purpose: str,
    address: str,
    payload: dict[str, object],
    ip: str = "",
) -> CodeSent:
    """What an unknown address gets: the same answer and budgets, no mail, about the same time.

    The wait is not slept here: the answer carries it (`delay`) for the face
    to await on its event loop, so decoys never hold a worker thread.
    """
    issued = code_store.issue(
        session,
        settings=settings,
        purpose=purpose,
        email=address,
        user_id=None,
        payload={**payload, "decoy": True},
        ip=ip,
    )
    delay = outbox.send_timer.delay() if issued.mailed else 0.0
    return dataclasses.replace(code_sent(issued.row, sent_to=shown_address(address)), delay=delay)


ACCOUNT_ADDRESS = "the email address of that account"


def shown_address(identifier: str) -> str:
    """Where the code went, as shown before anything is proved.

    An email typed in is masked; a username gets the same neutral words
    whether or not it exists (a masked real address would tell).
    """
    return mask_email(identifier.strip().lower()) if "@" in identifier else ACCOUNT_ADDRESS
