"""The steps after the first factor: which are due, and meeting one by a method.

`after_first_factor` asks `plan.second_steps` what is left for this user (none
on a browser the user trusts) and starts the first: the email code stage as
before (a "mfa" code row), or a *factor step* (a "factor" row, no mail) met by
an authenticator code, a recovery code, a passkey (`passkey_options`, then
its answer as the "code"), or, where offered, the email code, mailed only
when the user picks it (`mail_code`). Each row carries the steps
that follow it (`then`), so a sign-in walks them in order whatever the face.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import (
    CodeExpired,
    CodeUsedUp,
    InvalidCredentials,
    MethodNotAvailable,
    UnknownCodeSession,
    WrongCode,
)
from admin_app.mail.senders import Sender
from admin_app.models import OneTimeCode, User
from admin_app.security.codes import mask_email
from admin_app.security.randomness import new_id
from admin_app.services import on_record
from admin_app.services.audit import trail
from admin_app.services.email_codes import code_store
from admin_app.services.email_codes.code_step import CodeSent, code_sent, mail_issued, send_code
from admin_app.services.factors import account, recovery, totp, tries, trusted
from admin_app.services.limits import throttle
from admin_app.services.passkeys import authentication, ceremony, credentials
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import password_stage, plan
from admin_app.settings import Settings

FACTOR = "factor"
Steps = tuple[tuple[str, ...], ...]

table = OneTimeCode.__table__  # type: ignore[attr-defined]


def strong_held(session: Session, *, user_id: int) -> tuple[plan.Method, ...]:
    """The strong second factors `user_id` holds (`plan.strong_methods`)."""
    return plan.strong_methods(
        has_app=bool(totp.list_apps(session, user_id=user_id)),
        has_passkey=credentials.has_any(session, user_id=user_id),
    )


def after_first_factor(
    session: Session,
    *,
    settings: Settings,
    user: User,
    ctx: RequestContext,
    payload: dict[str, object],
    mailbox_proved: bool = False,
    sender: Sender | None = None,
) -> CodeSent | None:
    """The first step left for `user`, started; None when the sign-in is complete."""
    assert user.id is not None
    steps: Steps = plan.second_steps(
        settings,
        mfa_enabled=user.mfa_enabled,
        strong=strong_held(session, user_id=user.id),
        mailbox_proved=mailbox_proved,
    )
    return start_steps(
        session, settings=settings, user=user, steps=steps, ctx=ctx, payload=payload, sender=sender
    )


def start_steps(
    session: Session,
    *,
    settings: Settings,
    user: User,
    steps: Steps,
    ctx: RequestContext,
    payload: dict[str, object],
    sender: Sender | None = None,
) -> CodeSent | None:
    """Start the first of `steps`, unless this browser is trusted to skip them."""
    assert user.id is not None
    if steps and trusted.holds(session, user=user, token=ctx.trusted_browser):
        trail.record(session, kind="signin.trusted_browser", ctx=ctx, user_id=user.id)
        steps = ()
    return take_next(
        session, settings=settings, user=user, steps=steps, ctx=ctx, payload=payload, sender=sender
    )


def take_next(
    session: Session,
    *,
    settings: Settings,
    user: User,
    steps: Steps,
    ctx: RequestContext,
    payload: dict[str, object],
    sender: Sender | None = None,
) -> CodeSent | None:
    """Start `steps[0]`, the rest riding on its row; None when no step is left."""
    if not steps:
        return None
    first, rest = tuple(steps[0]), [list(step) for step in steps[1:]]
    carried = {key: value for key, value in payload.items() if key not in ("then", "methods")}
    carried["then"] = rest
    if first == plan.EMAIL_ONLY:
        return send_code(
            session,
            settings=settings,
            user=user,
            purpose="mfa",
            ctx=ctx,
            payload=carried,
            sender=sender,
        )
    return _park(session, settings=settings, user=user, methods=first, payload=carried)


def _park(
    session: Session,
    *,
    settings: Settings,
    user: User,
    methods: tuple[str, ...],
    payload: dict[str, object],
) -> CodeSent:
    """A factor step waiting under a code row of its own (no code: nothing is mailed yet)."""
    moment = now()
    row = OneTimeCode(
        id=new_id(),
        user_id=user.id,
        email=user.email,
        purpose=FACTOR,
        code_hmac="",
        payload=json.dumps({**payload, "methods": list(methods), "mailed": False}),
        created_at=moment,
        expires_at=moment + dt.timedelta(seconds=settings.otp_ttl),
    )
    session.add(row)
    session.flush()
    return factor_sent(row)


def factor_sent(row: OneTimeCode) -> CodeSent:
    """How a face describes a waiting factor step."""
    payload = code_store.payload_of(row)
    mailed = bool(payload.get("mailed"))
    sent = code_sent(row, sent_to=mask_email(row.email))
    return dataclasses.replace(
        sent,
        methods=tuple(payload.get("methods", ())),
        mailed=mailed,
        resend_in=sent.resend_in if mailed else 0,
    )


def mail_code(
    session: Session,
    *,
    settings: Settings,
    otp_session_id: str,
    ctx: RequestContext,
    sender: Sender | None = None,
) -> CodeSent:
    """The user picked the email code in a factor step: mail it (a new `otp_session_id`).

    The first mail goes at once; another waits out the resend cooldown.
    """
    row = code_store.pending(session, otp_session_id)
    payload = code_store.payload_of(row)
    if row.purpose != FACTOR or plan.Method.EMAIL not in payload.get("methods", ()):
        raise MethodNotAvailable()
    if payload.get("mailed"):
        issued = code_store.reissue(session, settings=settings, code_id=row.id, ip=ctx.ip)
    else:
        ended = session.execute(
            sa.update(table)
            .where(table.c.id == row.id, table.c.consumed_at.is_(None))
            .values(consumed_at=now())
        )
        if getattr(ended, "rowcount", 0) != 1:
            raise UnknownCodeSession()
        session.commit()
        issued = code_store.issue(
            session,
            settings=settings,
            purpose=FACTOR,
            email=row.email,
            user_id=row.user_id,
            payload={**payload, "mailed": True},
            ip=ctx.ip,
            share=False,
        )
    mail_issued(session, settings=settings, issued=issued, ctx=ctx, sender=sender)
    return factor_sent(issued.row)


def _count_try(session: Session, row: OneTimeCode) -> None:
    """One of the step's tries, counted (and committed) before the compare."""
    moment = now()
    counted = session.execute(
        sa.update(table)
        .where(
            table.c.id == row.id,
            table.c.consumed_at.is_(None),
            table.c.attempts < code_store.MAX_TRIES,
            table.c.expires_at > moment,
        )
        .values(attempts=table.c.attempts + 1)
    )
    session.commit()
    if getattr(counted, "rowcount", 0) != 1:
        if row.expires_at <= moment:
            raise CodeExpired()
        raise CodeUsedUp()


def _consume(session: Session, row: OneTimeCode) -> None:
    won = session.execute(
        sa.update(table)
        .where(table.c.id == row.id, table.c.consumed_at.is_(None))
        .values(consumed_at=now())
    )
    if getattr(won, "rowcount", 0) != 1:
        session.rollback()
        raise UnknownCodeSession()


def complete(
    session: Session,
    *,
    settings: Settings,
    row: OneTimeCode,
    method: str | None,
    code: str,
    ctx: RequestContext,
) -> tuple[User, Steps]:
    """Meet the factor step parked as `row` by `method`; the user and the steps after it."""
    payload = code_store.payload_of(row)
    methods = tuple(payload.get("methods", ()))
    # Left out, the first way a code meets (a passkey answers with a credential).
    typed = [m for m in methods if m != plan.Method.PASSKEY]
    method = method or (typed[0] if typed else "")
    if method not in methods:
        raise MethodNotAvailable()
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not user.is_active:
        raise InvalidCredentials()
    assert user.id is not None
    user_id = user.id
    then: Steps = tuple(tuple(step) for step in payload.get("then", ()))
    if method == plan.Method.EMAIL:
        if not payload.get("mailed"):
            raise MethodNotAvailable("Ask for the email code first.")
        _email_code(session, settings=settings, row=row, user=user, code=code, ctx=ctx)
        return user, then
    _count_try(session, row)
    if method == plan.Method.PASSKEY:
        authentication.prove(
            session,
            settings=settings,
            purpose=FACTOR,
            credential=code,
            ctx=ctx,
            bound_to=row.id,
            user_id=user_id,
        )
    elif method == plan.Method.TOTP:
        tries.paid(
            session,
            settings=settings,
            user=user,
            ctx=ctx,
            failed_kind="signin.failed",
            check=lambda: totp.check(session, settings=settings, user_id=user_id, code=code),
            reason="totp",
        )
    else:
        tries.paid(
            session,
            settings=settings,
            user=user,
            ctx=ctx,
            failed_kind="signin.failed",
            check=lambda: (
                recovery.use(session, settings=settings, user_id=user_id, code=code) or None
            ),
            reason="recovery",
        )
    _consume(session, row)
    if method == plan.Method.RECOVERY:
        account.recovery_used(session, settings=settings, user=user, ctx=ctx)
    return user, then


def _email_code(
    session: Session,
    *,
    settings: Settings,
    row: OneTimeCode,
    user: User,
    code: str,
    ctx: RequestContext,
) -> None:
    """The mailed code of a factor step, checked as the code stage checks it."""
    taken = password_stage.take_attempt(
        session, settings=settings, identifier=user.email, user_id=user.id, ctx=ctx, hard=False
    )
    try:
        code_store.verify(session, settings=settings, code_id=row.id, code=code)
    except (WrongCode, CodeUsedUp) as exc:
        on_record.audit(session, kind="signin.failed", ctx=ctx, user_id=user.id, reason=exc.code)
        raise
    throttle.succeeded(session, taken)


def passkey_options(
    session: Session, *, settings: Settings, otp_session_id: str
) -> ceremony.Options:
    """Options to meet the waiting factor step with one of its user's passkeys;
    the challenge is bound to the step."""
    row = code_store.pending(session, otp_session_id)
    payload = code_store.payload_of(row)
    if row.purpose != FACTOR or plan.Method.PASSKEY not in payload.get("methods", ()):
        raise MethodNotAvailable()
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not user.is_active:
        raise UnknownCodeSession()
    return authentication.options(
        session, settings=settings, purpose=FACTOR, user=user, bound_to=row.id
    )
