"""Sign-in throttling (SPEC section 11), kept in the database so it holds
across workers and restarts.

Budgets: one per account (its email and username share it), one per typed
identifier that has no account (so the answer reveals nothing), one per
client address (IPv6 by /64). An account or identifier has 5 failures free,
then a 1 minute wait doubling up to 15 minutes; a success or 12 hours of
quiet starts over. An address has 10 failures a minute. After 100
consecutive failures (NIST SP 800-63B 5.2.2) an account's password stays
refused until an admin unlocks it or a mailed code proves the owner.

An attempt is *taken* before the work, by one atomic upsert per budget that
counts it only when the budget allows it, and is committed at once: parallel
requests are refused exactly as serial ones, and no write transaction stays
open while argon2 runs. A success gives the attempt back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import math
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import RateLimited
from admin_app.models import RateLimit
from admin_app.security.client_ip import limit_group
from admin_app.security.keys import derive
from admin_app.security.randomness import new_id
from admin_app.services.limits.budgets import upsert
from admin_app.settings import Settings

FREE_FAILURES = 5
FIRST_LOCK_SECONDS = 60
MAX_LOCK_SECONDS = 15 * 60
QUIET_RESET = dt.timedelta(hours=12)
ADDRESS_FAILURES_PER_WINDOW = 10
ADDRESS_WINDOW = dt.timedelta(minutes=1)
LOCK_CEILING = 100
LOCKED_MESSAGE = (
    "Too many failed sign-ins: password sign-in is locked. "
    "Reset the password by email, or ask an administrator to unlock the account."
)

table = RateLimit.__table__  # type: ignore[attr-defined]


def keyed(settings: Settings, value: str) -> str:
    """An HMAC under the throttle's own key: the table holds no list of who tried."""
    key = derive(settings.jwt_secret, "throttle-hmac")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def identifier_key(settings: Settings, identifier: str) -> str:
    return f"id:{keyed(settings, identifier.strip().casefold())}"


ACCOUNT_PREFIX = "acct:"


def account_key(user_id: int) -> str:
    return f"{ACCOUNT_PREFIX}{user_id}"


def subject_key(settings: Settings, *, identifier: str, user_id: int | None) -> str:
    """An account's one budget, else the typed identifier's."""
    return account_key(user_id) if user_id is not None else identifier_key(settings, identifier)


def address_key(ip: str) -> str:
    return f"ip:{limit_group(ip)}"


def lock_seconds(failures: int) -> int:
    """How long the identifier waits after its `failures`-th failure in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_LOCK_SECONDS * 2 ** (failures - FREE_FAILURES), MAX_LOCK_SECONDS)


def _at(name: str) -> Any:
    """A moment, bound at execution (the statements below are built once)."""
    return sa.bindparam(name, type_=table.c.updated_at.type)


# The waits that lock_seconds() gives after the 5th, 6th... failure, below the cap.
_LOCK_STEPS = [
    n for n in range(FREE_FAILURES, FREE_FAILURES + 16) if lock_seconds(n) < MAX_LOCK_SECONDS
]


def _lock_until(failures: Any) -> Any:
    """lock_seconds() as SQL, so the upsert sets the wait from the count it made."""
    whens = [(failures < FREE_FAILURES, sa.null())]
    whens += [(failures == n, _at(f"lock_{n}")) for n in _LOCK_STEPS]
    return sa.case(*whens, else_=_at("lock_max"))


def _lock_moments(moment: dt.datetime) -> dict[str, dt.datetime]:
    moments = {f"lock_{n}": moment + dt.timedelta(seconds=lock_seconds(n)) for n in _LOCK_STEPS}
    return moments | {"lock_max": moment + dt.timedelta(seconds=MAX_LOCK_SECONDS)}


_NONCE: Any = sa.bindparam("nonce")


def _first_attempt(dialect: str, *, streak: int) -> Any:
    """The row a budget starts with: one attempt counted, now."""
    return upsert(dialect).values(
        key=sa.bindparam("key"),
        failures=1,
        streak=streak,
        window_start=_at("moment"),
        updated_at=_at("moment"),
        nonce=_NONCE,
    )


# Built once per dialect and flags, as every sign-in attempt runs them: making
# these CASE expressions anew cost more than the database's work for them.
@functools.lru_cache(maxsize=16)
def _subject_upsert(dialect: str, *, hard: bool, force: bool) -> Any:
    c = table.c
    refuse = (
        sa.false()
        if force
        else sa.or_(
            sa.and_(c.blocked_until.is_not(None), c.blocked_until > _at("moment")),
            sa.and_(sa.true() if hard else sa.false(), c.streak >= LOCK_CEILING),
        )
    )
    counted = sa.case((c.updated_at < _at("quiet_before"), 1), else_=c.failures + 1)
    return (
        _first_attempt(dialect, streak=1)
        .on_conflict_do_update(
            index_elements=[c.key],
            set_={
                "failures": sa.case((refuse, c.failures), else_=counted),
                "streak": sa.case((refuse, c.streak), else_=c.streak + 1),
                "blocked_until": sa.case((refuse, c.blocked_until), else_=_lock_until(counted)),
                "updated_at": sa.case((refuse, c.updated_at), else_=_at("moment")),
                "nonce": sa.case((refuse, c.nonce), else_=_NONCE),
            },
        )
        .returning(c.nonce, c.streak, c.blocked_until)
    )


@functools.lru_cache(maxsize=16)
def _address_upsert(dialect: str, *, force: bool) -> Any:
    c = table.c
    refuse = (
        sa.false()
        if force
        else sa.and_(c.blocked_until.is_not(None), c.blocked_until > _at("moment"))
    )
    stale = c.window_start < _at("window_before")
    counted = sa.case((stale, 1), else_=c.failures + 1)
    return (
        _first_attempt(dialect, streak=0)
        .on_conflict_do_update(
            index_elements=[c.key],
            set_={
                "failures": sa.case((refuse, c.failures), else_=counted),
                "window_start": sa.case(
                    (refuse, c.window_start), (stale, _at("moment")), else_=c.window_start
                ),
                "blocked_until": sa.case(
                    (refuse, c.blocked_until),
                    (counted >= ADDRESS_FAILURES_PER_WINDOW, _at("window_end")),
                    else_=c.blocked_until,
                ),
                "updated_at": _at("moment"),
                "nonce": sa.case((refuse, c.nonce), else_=_NONCE),
            },
        )
        .returning(c.nonce, c.blocked_until)
    )


def _take_subject(
    session: Session, key: str, *, moment: dt.datetime, hard: bool, force: bool
) -> tuple[bool, int, dt.datetime | None]:
    """Count one attempt unless the budget is spent; (admitted, streak, blocked_until)."""
    nonce = new_id()
    statement = _subject_upsert(_dialect(session), hard=hard, force=force)
    params = {"key": key, "nonce": nonce, "moment": moment, "quiet_before": moment - QUIET_RESET}
    row = session.execute(statement, params | _lock_moments(moment)).one()
    return row[0] == nonce, row[1], row[2]


def _take_address(
    session: Session, key: str, *, moment: dt.datetime, force: bool
) -> tuple[bool, dt.datetime | None]:
    nonce = new_id()
    params = {
        "key": key,
        "nonce": nonce,
        "moment": moment,
        "window_before": moment - ADDRESS_WINDOW,
        "window_end": moment + ADDRESS_WINDOW,
    }
    row = session.execute(_address_upsert(_dialect(session), force=force), params).one()
    return row[0] == nonce, row[1]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _wait(until: dt.datetime | None, moment: dt.datetime) -> int:
    return math.ceil((until - moment).total_seconds()) if until is not None else 1


@dataclasses.dataclass(frozen=True)
class Taken:
    """One attempt on the books: give it back with `succeeded`."""

    subject: str | None
    address: str | None


def take(
    session: Session,
    *,
    settings: Settings,
    identifier: str,
    user_id: int | None,
    ip: str,
    hard: bool = True,
) -> Taken:
    """Count an attempt before the work, or raise RateLimited; commits.

    `hard=False` for a mailed code: it is the way back into a locked account,
    so the 100-failure lock does not stop it (the code's own caps do).
    """
    moment = now()
    subject = subject_key(settings, identifier=identifier, user_id=user_id) if identifier else None
    address = address_key(ip) if ip else None
    if subject is not None:
        admitted, streak, until = _take_subject(
            session, subject, moment=moment, hard=hard, force=False
        )
        if not admitted:
            session.commit()
            if hard and streak >= LOCK_CEILING:
                raise RateLimited(MAX_LOCK_SECONDS, LOCKED_MESSAGE)
            raise RateLimited(_wait(until, moment))
    if address is not None:
        admitted, until = _take_address(session, address, moment=moment, force=False)
        if not admitted:
            if subject is not None:
                _give_back(session, subject)
            session.commit()
            raise RateLimited(_wait(until, moment))
    session.commit()
    return Taken(subject=subject, address=address)


_c = table.c
_GIVE_BACK = (
    sa.update(table)
    .where(_c.key == sa.bindparam("which"), _c.failures > 0)
    .values(
        failures=_c.failures - 1,
        streak=sa.case((_c.streak > 0, _c.streak - 1), else_=0),
        # The attempt was admitted, so no wait was running before it: any
        # wait now is the one its own count set. A right password must not
        # leave it behind, or the code step after it would be refused.
        blocked_until=sa.null(),
    )
)
_ADDRESS_BACK = (
    sa.update(table)
    .where(_c.key == sa.bindparam("which"), _c.failures > 0)
    .values(
        failures=_c.failures - 1,
        blocked_until=sa.case(
            (_c.failures - 1 < ADDRESS_FAILURES_PER_WINDOW, sa.null()),
            else_=_c.blocked_until,
        ),
    )
)


def _give_back(session: Session, key: str) -> None:
    session.execute(_GIVE_BACK, {"which": key})


def _address_back(session: Session, key: str) -> None:
    session.execute(_ADDRESS_BACK, {"which": key})


def give_back(session: Session, taken: Taken) -> None:
    """The attempt was no failure (a right password with a code still to come)."""
    if taken.subject is not None:
        _give_back(session, taken.subject)
    if taken.address is not None:
        _address_back(session, taken.address)


def succeeded(session: Session, taken: Taken) -> None:
    """A proved attempt: the account (or identifier) starts over, lock included."""
    if taken.subject is not None:
        session.execute(_FORGET, {"key": taken.subject})
    if taken.address is not None:
        _address_back(session, taken.address)


# Built once: every sign-in attempt runs these.
_BLOCKED_UNTIL = sa.select(sa.func.max(table.c.blocked_until)).where(
    table.c.key.in_(sa.bindparam("keys", expanding=True)),
    table.c.blocked_until > sa.bindparam("moment", type_=table.c.blocked_until.type),
)
_FORGET = sa.delete(table).where(table.c.key == sa.bindparam("key"))


def check(
    session: Session,
    *,
    settings: Settings,
    identifier: str | None,
    ip: str,
    user_id: int | None = None,
) -> None:
    """Raise RateLimited when the identifier or the address must wait (reads only)."""
    keys = [address_key(ip)] if ip else []
    if identifier or user_id is not None:
        keys.append(subject_key(settings, identifier=identifier or "", user_id=user_id))
    if not keys:
        return
    moment = now()
    until = session.execute(_BLOCKED_UNTIL, {"keys": keys, "moment": moment}).scalar()
    if until is not None:
        raise RateLimited(math.ceil((until - moment).total_seconds()))


def record_failure(
    session: Session, *, settings: Settings, identifier: str, ip: str, user_id: int | None = None
) -> None:
    """Count a failure after the fact (work that could not be taken up front)."""
    moment = now()
    if identifier.strip() or user_id is not None:
        key = subject_key(settings, identifier=identifier, user_id=user_id)
        _take_subject(session, key, moment=moment, hard=False, force=True)
    if ip:
        _take_address(session, address_key(ip), moment=moment, force=True)


def record_success(
    session: Session, *, settings: Settings, identifier: str, user_id: int | None = None
) -> None:
    """A proved identifier starts over."""
    key = subject_key(settings, identifier=identifier, user_id=user_id)
    session.execute(_FORGET, {"key": key})
