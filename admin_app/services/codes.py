"""One-time email codes, each parked with the half-finished flow it belongs to.

A code row's id is the `otp_session_id` the client holds. The code itself is
stored only as an HMAC bound to that id, the purpose and the user (or
address). Every try is counted by an atomic UPDATE *before* the compare, and
the winning try consumes the row by a conditional UPDATE, so a code works
once even when many requests submit it at the same moment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.errors import DomainError, RateLimited
from admin_app.models import OneTimeCode
from admin_app.security import codes as primitives
from admin_app.security.randomness import new_id
from admin_app.settings import Settings

MAX_TRIES = 5
RESEND_COOLDOWN_SECONDS = 60
MAX_CODES_PER_HOUR = 5

table = OneTimeCode.__table__  # type: ignore[attr-defined]


class WrongCode(DomainError):
    code = "incorrect_code"
    status = 400

    def __init__(self, tries_left: int) -> None:
        self.tries_left = tries_left
        plural = "try" if tries_left == 1 else "tries"
        super().__init__(f"That code is not right. {tries_left} {plural} left.", field="code")


class CodeExpired(DomainError):
    code = "code_expired"
    status = 400
    message = "That code has expired. Ask for a new one."


class CodeUsedUp(DomainError):
    code = "code_used_up"
    status = 400
    message = "That code can no longer be used. Ask for a new one."


class UnknownCodeSession(DomainError):
    code = "otp_session_invalid"
    status = 400
    message = "This sign-in has ended. Please start again."


@dataclasses.dataclass(frozen=True)
class Issued:
    row: OneTimeCode
    code: str


def _subject(user_id: int | None, email: str) -> str:
    return f"user:{user_id}" if user_id is not None else f"email:{email.casefold()}"


def _cap(session: Session, email: str, *, cooldown: bool) -> None:
    """At most 5 codes an hour for one address; a resend waits a minute."""
    moment = now()
    recent = session.exec(
        select(OneTimeCode.created_at)
        .where(
            sa.func.lower(col(OneTimeCode.email)) == email.casefold(),
            col(OneTimeCode.created_at) > moment - dt.timedelta(hours=1),
        )
        .order_by(col(OneTimeCode.created_at).desc())
    ).all()
    wait = RESEND_COOLDOWN_SECONDS - (moment - recent[0]).total_seconds() if recent else 0
    if cooldown and wait > 0:
        raise RateLimited(math.ceil(wait), "Please wait before asking for another code.")
    if len(recent) >= MAX_CODES_PER_HOUR:
        oldest = recent[MAX_CODES_PER_HOUR - 1]
        wait = 3600 - (moment - oldest).total_seconds()
        raise RateLimited(
            math.ceil(wait), "Too many codes were sent to this address. Try again later."
        )


def issue(
    session: Session,
    *,
    settings: Settings,
    purpose: str,
    email: str,
    user_id: int | None,
    payload: dict[str, Any] | None = None,
    resend: bool = False,
) -> Issued:
    """A new code for `purpose`; its row is added to `session` (not yet committed)."""
    _cap(session, email, cooldown=resend)
    code, code_id = primitives.new_code(), new_id()
    row = OneTimeCode(
        id=code_id,
        user_id=user_id,
        email=email,
        purpose=purpose,
        code_hmac=primitives.code_hmac(
            settings.jwt_secret,
            code_id=code_id,
            purpose=purpose,
            subject=_subject(user_id, email),
            code=code,
        ),
        payload=json.dumps(payload) if payload is not None else None,
        expires_at=now() + dt.timedelta(seconds=settings.otp_ttl),
    )
    session.add(row)
    session.flush()
    return Issued(row=row, code=code)


def pending(session: Session, code_id: str) -> OneTimeCode:
    """The live (unconsumed) row for `code_id`, or UnknownCodeSession."""
    row = session.get(OneTimeCode, code_id) if code_id and len(code_id) <= 64 else None
    if row is None or row.consumed_at is not None:
        raise UnknownCodeSession()
    return row


def reissue(session: Session, *, settings: Settings, code_id: str) -> Issued:
    """Resend: a new code (and id) for the same flow; the old code dies."""
    old = pending(session, code_id)
    issued = issue(
        session,
        settings=settings,
        purpose=old.purpose,
        email=old.email,
        user_id=old.user_id,
        payload=json.loads(old.payload) if old.payload else None,
        resend=True,
    )
    old.consumed_at = now()
    session.add(old)
    return issued


def verify(session: Session, *, settings: Settings, code_id: str, code: str) -> OneTimeCode:
    """Consume the row when `code` is right; otherwise raise with what went wrong."""
    moment = now()
    code = code.strip()
    counted = session.execute(
        sa.update(table)
        .where(
            table.c.id == code_id,
            table.c.consumed_at.is_(None),
            table.c.attempts < MAX_TRIES,
            table.c.expires_at > moment,
        )
        .values(attempts=table.c.attempts + 1)
        .returning(table.c.attempts)
    ).scalar()
    if counted is None:
        row = session.get(OneTimeCode, code_id) if len(code_id) <= 64 else None
        if row is None or row.consumed_at is not None:
            raise UnknownCodeSession()
        if row.expires_at <= moment:
            raise CodeExpired()
        raise CodeUsedUp()
    # The try is on record before the compare, whatever the caller does next.
    session.commit()
    row = session.get(OneTimeCode, code_id)
    assert row is not None
    session.refresh(row)
    candidate = primitives.code_hmac(
        settings.jwt_secret,
        code_id=code_id,
        purpose=row.purpose,
        subject=_subject(row.user_id, row.email),
        code=code,
    )
    if not primitives.looks_like_code(code) or not primitives.matches(row.code_hmac, candidate):
        raise WrongCode(MAX_TRIES - counted)
    won = session.execute(
        sa.update(table)
        .where(table.c.id == code_id, table.c.consumed_at.is_(None))
        .values(consumed_at=moment)
    )
    if getattr(won, "rowcount", 0) != 1:
        raise UnknownCodeSession()
    return row


def payload_of(row: OneTimeCode) -> dict[str, Any]:
    return json.loads(row.payload) if row.payload else {}
