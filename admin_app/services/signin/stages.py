"""Sign-in as stages, the same for pages and API (SPEC sections 1 and 3).

`begin` takes what the user typed and either proves who they are (password
mode, MFA off) or parks the half-finished sign-in under a code row and mails
the code; `complete` takes the code. A half-finished sign-in opens nothing.
Every stage costs the same, and answers the same, for an unknown identifier
as for a known one: the sign-in never reveals who has an account.
"""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from admin_app.errors import (
    CodeUsedUp,
    DomainError,
    InvalidCredentials,
    MethodNotAvailable,
    SignupCompleted,
    UnknownCodeSession,
    WrongCode,
)
from admin_app.mail import outbox
from admin_app.mail.senders import Sender
from admin_app.models import OneTimeCode, User
from admin_app.services import on_record
from admin_app.services.accounts import signup
from admin_app.services.accounts.users import find_by_identifier
from admin_app.services.email_codes import code_store
from admin_app.services.email_codes.code_step import (
    CodeSent,
    code_sent,
    decoy_code,
    mail_issued,
    send_code,
    shown_address,
)
from admin_app.services.limits import throttle
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import password_stage, plan, second_step
from admin_app.settings import Settings

MAX_IDENTIFIER = password_stage.MAX_IDENTIFIER
SIGN_IN_PURPOSES = ("signin", "mfa", "signup")


def begin(
    session: Session,
    *,
    settings: Settings,
    identifier: str,
    password: str | None,
    ctx: RequestContext,
    sender: Sender | None = None,
) -> User | CodeSent:
    """First stage. A User means signed in; CodeSent means a code is on its way."""
    identifier = identifier.strip()[:MAX_IDENTIFIER]
    payload: dict[str, object] = {"identifier": identifier}
    if plan.after_identify(settings) is plan.Stage.CODE:
        user = find_by_identifier(session, identifier)
        password_stage.check_budget(
            session,
            settings=settings,
            identifier=identifier,
            user_id=user.id if user else None,
            ctx=ctx,
        )
        if user is None or not user.is_active:
            return decoy_code(
                session,
                settings=settings,
                purpose="signin",
                address=identifier.casefold(),
                payload=payload,
                ip=ctx.ip,
            )
        sent = send_code(
            session,
            settings=settings,
            user=user,
            purpose="signin",
            ctx=ctx,
            payload=payload,
            sender=sender,
        )
        return dataclasses.replace(sent, sent_to=shown_address(identifier))
    user = password_stage.check_password(
        session, settings=settings, identifier=identifier, password=password or "", ctx=ctx
    )
    due = second_step.after_first_factor(
        session, settings=settings, user=user, ctx=ctx, payload=payload, sender=sender
    )
    if due is not None:
        return due
    throttle.record_success(session, settings=settings, identifier=identifier, user_id=user.id)
    return user


def code_if_due(
    session: Session,
    *,
    settings: Settings,
    user: User,
    ctx: RequestContext,
    payload: dict[str, object],
    sender: Sender | None = None,
) -> CodeSent | None:
    """After a provider's identity (the first factor): the next step when one is
    due, else None (the user has passed every stage)."""
    return second_step.after_first_factor(
        session, settings=settings, user=user, ctx=ctx, payload=payload, sender=sender
    )


def resend(
    session: Session,
    *,
    settings: Settings,
    otp_session_id: str,
    ctx: RequestContext,
    sender: Sender | None = None,
) -> CodeSent:
    """A fresh code for a waiting sign-in or sign-up (after the cooldown)."""
    waiting = code_store.pending(session, otp_session_id)
    if waiting.purpose == second_step.FACTOR:
        return second_step.mail_code(
            session, settings=settings, otp_session_id=otp_session_id, ctx=ctx, sender=sender
        )
    issued = code_store.reissue(session, settings=settings, code_id=otp_session_id, ip=ctx.ip)
    row = issued.row
    payload = code_store.payload_of(row)
    if payload.get("decoy"):
        delay = outbox.send_timer.delay() if issued.mailed else 0.0
        return dataclasses.replace(code_sent(row, sent_to=shown_address(row.email)), delay=delay)
    mail_issued(session, settings=settings, issued=issued, ctx=ctx, sender=sender)
    if row.purpose == "signin":
        return code_sent(row, sent_to=shown_address(str(payload.get("identifier", row.email))))
    return code_sent(row)


def complete(
    session: Session,
    *,
    settings: Settings,
    otp_session_id: str,
    code: str,
    ctx: RequestContext,
    method: str | None = None,
    sender: Sender | None = None,
) -> User | CodeSent:
    """A step after the first: the mailed code, or a factor by `method`.

    Returns the signed-in (or newly signed-up) user, or the next step when one
    is left (an authenticator app after the email code). The try is taken from
    the account's (or identifier's) and the address's budgets before the code
    is compared. A right email code reopens an account locked by 100 failures:
    it proves the mailbox, which the lock cannot.
    """
    try:
        row = code_store.pending(session, otp_session_id)
    except UnknownCodeSession:
        if code_store.completed_signup(
            session, settings=settings, code_id=otp_session_id, code=code
        ):
            raise SignupCompleted() from None
        raise
    if row.purpose == second_step.FACTOR:
        user, then = second_step.complete(
            session, settings=settings, row=row, method=method, code=code, ctx=ctx
        )
        return _next_or_user(
            session, settings=settings, user=user, steps=then, row=row, ctx=ctx, sender=sender
        )
    if method not in (None, plan.Method.EMAIL):
        raise MethodNotAvailable()
    if row.purpose not in SIGN_IN_PURPOSES:
        # A "confirm" code (turning MFA off) must never stand in for a sign-in.
        raise UnknownCodeSession()
    payload = code_store.payload_of(row)
    identifier = str(payload.get("identifier") or row.email)
    user_id = row.user_id
    taken = password_stage.take_attempt(
        session, settings=settings, identifier=identifier, user_id=user_id, ctx=ctx, hard=False
    )
    try:
        row = code_store.verify(session, settings=settings, code_id=otp_session_id, code=code)
    except (WrongCode, CodeUsedUp) as exc:
        on_record.audit(
            session,
            kind="signin.failed",
            ctx=ctx,
            user_id=user_id,
            identifier=identifier,
            reason=exc.code,
        )
        raise
    except DomainError:
        # An ended or expired flow was no guess at the code.
        on_record.keep(session, lambda own: throttle.give_back(own, taken))
        raise
    if payload.get("decoy"):
        # Unreachable without the code, which was never sent anywhere.
        raise UnknownCodeSession()
    if row.purpose == "signup":
        user = signup.create_account(session, settings=settings, payload=payload, ctx=ctx)
    else:
        found = session.get(User, row.user_id) if row.user_id is not None else None
        if found is None or not found.is_active:
            raise InvalidCredentials()
        user = found
    throttle.succeeded(session, taken)
    if row.purpose == "signin":
        # otp mode: the code was the first factor; an authenticator app may follow.
        due = second_step.after_first_factor(
            session,
            settings=settings,
            user=user,
            ctx=ctx,
            payload={"identifier": identifier},
            mailbox_proved=True,
            sender=sender,
        )
        return user if due is None else due
    if row.purpose == "mfa":
        then = tuple(tuple(step) for step in payload.get("then", ()))
        return _next_or_user(
            session, settings=settings, user=user, steps=then, row=row, ctx=ctx, sender=sender
        )
    return user


def _next_or_user(
    session: Session,
    *,
    settings: Settings,
    user: User,
    steps: second_step.Steps,
    row: OneTimeCode,
    ctx: RequestContext,
    sender: Sender | None,
) -> User | CodeSent:
    due = second_step.take_next(
        session,
        settings=settings,
        user=user,
        steps=steps,
        ctx=ctx,
        payload=code_store.payload_of(row),
        sender=sender,
    )
    return user if due is None else due
