"""One-time email codes, each parked with the half-finished flow it belongs to.

A code row's id is the `otp_session_id` the client holds. The code itself is
stored only as an HMAC (under the "code-hmac" key) bound to that id, the
purpose and the user (or address). Every try is counted by an atomic UPDATE
*before* the compare, and the winning try consumes the row by a conditional
UPDATE, so a code works once even when many requests submit it at once.

Mails are budgeted per recipient *and client address* (5 an hour), under a
higher ceiling per recipient (20 an hour), each taken by one atomic upsert.
A sign-in started while the user's code is live gets a new `otp_session_id`
sharing that code (`code_of`) rather than a new mail: strangers who type an
address neither flood that mailbox nor use up its owner's budget.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import CodeExpired, CodeUsedUp, RateLimited, UnknownCodeSession, WrongCode
from admin_app.models import OneTimeCode
from admin_app.security import codes as primitives
from admin_app.security.client_ip import limit_group
from admin_app.security.keys import derive
from admin_app.security.randomness import new_id
from admin_app.services.limits import budgets
from admin_app.services.limits.throttle import keyed
from admin_app.settings import Settings

__all__ = ["CodeExpired", "CodeUsedUp", "UnknownCodeSession", "WrongCode"]

MAX_TRIES = 5
RESEND_COOLDOWN_SECONDS = 60
MAX_CODES_PER_HOUR = 5  # per recipient and client address
MAX_CODES_PER_HOUR_ALL = 20  # per recipient, from everyone: the mailbox's bound
REUSED_PURPOSES = ("signin",)
TOO_MANY = "Too many codes were sent to this address. Try again later."

table = OneTimeCode.__table__  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class Issued:
    row: OneTimeCode
    code: str | None  # None: the row shares a live code that was mailed already

    @property
    def mailed(self) -> bool:
        return self.code is not None


def _subject(user_id: int | None, email: str) -> str:
    return f"user:{user_id}" if user_id is not None else f"email:{email.casefold()}"


def _hmac(settings: Settings, *, code_id: str, purpose: str, subject: str, code: str) -> str:
    key = derive(settings.jwt_secret, "code-hmac")
    return primitives.code_hmac(key, code_id=code_id, purpose=purpose, subject=subject, code=code)


def _recipient(settings: Settings, email: str) -> str:
    return keyed(settings, email.casefold())


def cap_keys(settings: Settings, *, email: str, ip: str, purpose: str) -> list[tuple[str, int]]:
    recipient = _recipient(settings, email)
    # Sign-up codes have budgets of their own: anyone can sign up with any
    # address, and that must not spend the owner's sign-in budget.
    family = "signup" if purpose == "signup" else "code"
    return [
        (f"{family}:{recipient}:{limit_group(ip)}", MAX_CODES_PER_HOUR),
        (f"{family}:{recipient}", MAX_CODES_PER_HOUR_ALL),
    ]


def _take_caps(
    session: Session, settings: Settings, *, email: str, ip: str, purpose: str
) -> list[str]:
    taken: list[str] = []
    for key, limit in cap_keys(settings, email=email, ip=ip, purpose=purpose):
        wait = budgets.try_take(session, key, limit=limit)
        if wait is not None:
            for earlier in taken:
                budgets.give_back(session, earlier)
            session.commit()
            raise RateLimited(wait, TOO_MANY)
        taken.append(key)
    return taken


def _live(session: Session, code_id: str, moment: dt.datetime) -> OneTimeCode | None:
    row = session.get(OneTimeCode, code_id, populate_existing=True)
    if row is None:
        return None
    if row.consumed_at is not None or row.expires_at <= moment or row.attempts >= MAX_TRIES:
        return None
    return row


def issue(
    session: Session,
    *,
    settings: Settings,
    purpose: str,
    email: str,
    user_id: int | None,
    payload: dict[str, Any] | None = None,
    ip: str = "",
    share: bool = True,
) -> Issued:
    """A code for `purpose`, or a share of the live one; committed before any mail goes.

    The budgets are taken (and committed) first: a mail that then fails is
    given back with `abandon`.
    """
    moment = now()
    code_id = new_id()
    expires_at = moment + dt.timedelta(seconds=settings.otp_ttl)
    text = json.dumps(payload) if payload is not None else None
    claim_key = f"live:{_recipient(settings, _subject(user_id, email))}:{purpose}"
    if purpose in REUSED_PURPOSES and share:
        fresh_after = moment - dt.timedelta(seconds=settings.otp_ttl)
        held = budgets.claim(session, claim_key, value=code_id, fresh_after=fresh_after)
        session.commit()
        if held != code_id:
            target = session.get(OneTimeCode, held, populate_existing=True)
            # A missing row is one being mailed right now (committed after the
            # mail): share it too, or parallel starts would each mint one.
            if target is None or _live(session, held, moment) is not None:
                row = OneTimeCode(
                    id=code_id,
                    user_id=user_id,
                    email=email,
                    purpose=purpose,
                    code_hmac="",
                    payload=text,
                    expires_at=target.expires_at if target else expires_at,
                    code_of=held,
                )
                session.add(row)
                session.commit()
                return Issued(row=row, code=None)
            # The live code is spent: whoever replaces it mints; the others share.
            if not budgets.replace(session, claim_key, old=held, new=code_id):
                session.commit()
                return issue(
                    session,
                    settings=settings,
                    purpose=purpose,
                    email=email,
                    user_id=user_id,
                    payload=payload,
                    ip=ip,
                )
    elif purpose in REUSED_PURPOSES:
        # An explicit resend mints; later sign-ins share the newest code.
        budgets.claim(session, claim_key, value=code_id, fresh_after=moment + dt.timedelta(days=1))
    try:
        _take_caps(session, settings, email=email, ip=ip, purpose=purpose)
    except RateLimited:
        budgets.replace(session, claim_key, old=code_id, new=None)
        session.commit()
        raise
    code = primitives.new_code()
    row = OneTimeCode(
        id=code_id,
        user_id=user_id,
        email=email,
        purpose=purpose,
        code_hmac=_hmac(
            settings, code_id=code_id, purpose=purpose, subject=_subject(user_id, email), code=code
        ),
        payload=text,
        expires_at=expires_at,
    )
    session.add(row)
    session.commit()
    return Issued(row=row, code=code)


def abandon(session: Session, *, settings: Settings, issued: Issued, ip: str) -> None:
    """The mail did not go: the code dies and its budget comes back."""
    session.rollback()
    row = issued.row
    session.execute(sa.delete(table).where(table.c.id == row.id))
    claim_key = f"live:{_recipient(settings, _subject(row.user_id, row.email))}:{row.purpose}"
    budgets.replace(session, claim_key, old=row.id, new=None)
    for key, _limit in cap_keys(settings, email=row.email, ip=ip, purpose=row.purpose):
        budgets.give_back(session, key)
    session.commit()


def pending(session: Session, code_id: str) -> OneTimeCode:
    """The live (unconsumed) row for `code_id`, or UnknownCodeSession."""
    row = session.get(OneTimeCode, code_id) if code_id and len(code_id) <= 64 else None
    if row is None or row.consumed_at is not None:
        raise UnknownCodeSession()
    return row


def completed_signup(session: Session, *, settings: Settings, code_id: str, code: str) -> bool:
    """Whether `code` is the right code of a sign-up that already made its account.

    A client whose answer was lost (the account committed, the connection
    gone) retries with the same code; it proves the mailbox as the first try
    did, so it may learn that the account exists. Tries count as on a live
    code, and only until the code would have expired.
    """
    moment = now()
    row = session.get(OneTimeCode, code_id) if code_id and len(code_id) <= 64 else None
    if row is None or row.purpose != "signup" or row.consumed_at is None:
        return False
    counted = session.execute(
        sa.update(table)
        .where(table.c.id == row.id, table.c.attempts < MAX_TRIES, table.c.expires_at > moment)
        .values(attempts=table.c.attempts + 1)
    )
    session.commit()
    if getattr(counted, "rowcount", 0) != 1:
        return False
    candidate = _hmac(
        settings,
        code_id=row.id,
        purpose=row.purpose,
        subject=_subject(row.user_id, row.email),
        code=code,
    )
    return primitives.looks_like_code(code.strip()) and primitives.matches(row.code_hmac, candidate)


def reissue(session: Session, *, settings: Settings, code_id: str, ip: str = "") -> Issued:
    """Resend: a new code (and id) for the same flow; the old one dies.

    The old row is consumed by one conditional UPDATE that also enforces the
    cooldown, so of parallel resends of one flow exactly one goes on.
    """
    old = pending(session, code_id)
    moment = now()
    won = session.execute(
        sa.update(table)
        .where(
            table.c.id == old.id,
            table.c.consumed_at.is_(None),
            table.c.created_at <= moment - dt.timedelta(seconds=RESEND_COOLDOWN_SECONDS),
        )
        .values(consumed_at=moment)
    )
    if getattr(won, "rowcount", 0) != 1:
        session.rollback()
        again = pending(session, code_id)
        wait = RESEND_COOLDOWN_SECONDS - (moment - again.created_at).total_seconds()
        raise RateLimited(max(1, int(wait) + 1), "Please wait before asking for another code.")
    session.commit()
    try:
        return issue(
            session,
            settings=settings,
            purpose=old.purpose,
            email=old.email,
            user_id=old.user_id,
            payload=json.loads(old.payload) if old.payload else None,
            ip=ip,
            share=False,
        )
    except RateLimited:
        # No new code: the flow keeps the one it had.
        session.execute(sa.update(table).where(table.c.id == old.id).values(consumed_at=None))
        session.commit()
        raise


def verify(session: Session, *, settings: Settings, code_id: str, code: str) -> OneTimeCode:
    """Consume the row when `code` is right; otherwise raise with what went wrong.

    A row that shares another's code counts its tries on, and consumes, that
    other row: the code has 5 tries in all, however many flows share it.
    """
    moment = now()
    code = code.strip()
    row = session.get(OneTimeCode, code_id) if code_id and len(code_id) <= 64 else None
    if row is None or row.consumed_at is not None:
        raise UnknownCodeSession()
    holder = row.code_of or row.id
    counted = session.execute(
        sa.update(table)
        .where(
            table.c.id == holder,
            table.c.consumed_at.is_(None),
            table.c.attempts < MAX_TRIES,
            table.c.expires_at > moment,
        )
        .values(attempts=table.c.attempts + 1)
        .returning(table.c.attempts)
    ).scalar()
    if counted is None:
        session.rollback()
        held = session.get(OneTimeCode, holder, populate_existing=True)
        if held is None or held.expires_at <= moment:
            raise CodeExpired()
        if held.consumed_at is not None and holder == row.id:
            raise UnknownCodeSession()
        raise CodeUsedUp()
    # The try is on record before the compare, whatever the caller does next.
    session.commit()
    held = session.get(OneTimeCode, holder, populate_existing=True)
    assert held is not None
    candidate = _hmac(
        settings,
        code_id=held.id,
        purpose=held.purpose,
        subject=_subject(held.user_id, held.email),
        code=code,
    )
    if not primitives.looks_like_code(code) or not primitives.matches(held.code_hmac, candidate):
        raise WrongCode(MAX_TRIES - counted)
    won = session.execute(
        sa.update(table)
        .where(table.c.id.in_({holder, row.id}), table.c.consumed_at.is_(None))
        .values(consumed_at=moment)
    )
    if getattr(won, "rowcount", 0) != len({holder, row.id}):
        session.rollback()
        raise UnknownCodeSession()
    session.refresh(row)
    return row


def payload_of(row: OneTimeCode) -> dict[str, Any]:
    return json.loads(row.payload) if row.payload else {}
