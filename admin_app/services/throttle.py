"""Sign-in throttling (SPEC section 11), kept in the database so it holds
across workers and restarts.

Per normalised identifier, whether or not an account has it: 5 failures,
then a 1 minute wait doubling up to 15 minutes; a success or 12 hours of
quiet starts over. Per client address: 10 failures a minute. Counters move
by one atomic upsert each, so parallel failures all count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import RateLimited
from admin_app.models import RateLimit
from admin_app.settings import Settings

FREE_FAILURES = 5
FIRST_LOCK_SECONDS = 60
MAX_LOCK_SECONDS = 15 * 60
QUIET_RESET = dt.timedelta(hours=12)
ADDRESS_FAILURES_PER_WINDOW = 10
ADDRESS_WINDOW = dt.timedelta(minutes=1)

table = RateLimit.__table__  # type: ignore[attr-defined]


def identifier_key(settings: Settings, identifier: str) -> str:
    normalised = identifier.strip().casefold()
    mac = hmac.new(settings.jwt_secret.encode(), normalised.encode(), hashlib.sha256)
    return f"id:{mac.hexdigest()}"


def address_key(ip: str) -> str:
    return f"ip:{ip}"


def lock_seconds(failures: int) -> int:
    """How long the identifier waits after its `failures`-th failure in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_LOCK_SECONDS * 2 ** (failures - FREE_FAILURES), MAX_LOCK_SECONDS)


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# Built once: every sign-in attempt runs these.
_BLOCKED_UNTIL = sa.select(sa.func.max(table.c.blocked_until)).where(
    table.c.key.in_(sa.bindparam("keys", expanding=True)),
    table.c.blocked_until > sa.bindparam("moment", type_=table.c.blocked_until.type),
)
_FORGET = sa.delete(table).where(table.c.key == sa.bindparam("key"))


def check(session: Session, *, settings: Settings, identifier: str | None, ip: str) -> None:
    """Raise RateLimited when the identifier or the address must wait."""
    keys = [address_key(ip)] if ip else []
    if identifier:
        keys.append(identifier_key(settings, identifier))
    if not keys:
        return
    moment = now()
    until = session.execute(_BLOCKED_UNTIL, {"keys": keys, "moment": moment}).scalar()
    if until is not None:
        raise RateLimited(math.ceil((until - moment).total_seconds()))


def _block(session: Session, key: str, until: dt.datetime) -> None:
    session.execute(
        sa.update(table)
        .where(table.c.key == key)
        .values(
            blocked_until=sa.case(
                (
                    sa.or_(table.c.blocked_until.is_(None), table.c.blocked_until < until),
                    sa.bindparam("until", until, type_=table.c.blocked_until.type),
                ),
                else_=table.c.blocked_until,
            )
        )
    )


def record_failure(session: Session, *, settings: Settings, identifier: str, ip: str) -> None:
    """Count one failed attempt against the identifier and the address."""
    moment = now()
    stamp = sa.bindparam("moment", moment, type_=table.c.updated_at.type)
    if identifier.strip():
        key = identifier_key(settings, identifier)
        statement = _insert(session).values(
            key=key, failures=1, window_start=moment, updated_at=moment
        )
        failures = session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": sa.case(
                        (table.c.updated_at < moment - QUIET_RESET, 1),
                        else_=table.c.failures + 1,
                    ),
                    "updated_at": stamp,
                },
            ).returning(table.c.failures)
        ).scalar_one()
        if (seconds := lock_seconds(failures)) > 0:
            _block(session, key, moment + dt.timedelta(seconds=seconds))
    if ip:
        key = address_key(ip)
        stale = table.c.window_start < moment - ADDRESS_WINDOW
        statement = _insert(session).values(
            key=key, failures=1, window_start=moment, updated_at=moment
        )
        failures, window_start = session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": sa.case((stale, 1), else_=table.c.failures + 1),
                    "window_start": sa.case((stale, stamp), else_=table.c.window_start),
                    "updated_at": stamp,
                },
            ).returning(table.c.failures, table.c.window_start)
        ).one()
        if failures >= ADDRESS_FAILURES_PER_WINDOW:
            _block(session, key, window_start + ADDRESS_WINDOW)


def record_success(session: Session, *, settings: Settings, identifier: str) -> None:
    """A proved identifier starts over."""
    session.execute(_FORGET, {"key": identifier_key(settings, identifier)})
