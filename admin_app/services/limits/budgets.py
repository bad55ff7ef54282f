"""Fixed-window budgets ("at most N an hour"), taken atomically in the database.

Each take is one upsert on `rate_limits` that counts the request only when
the window still has room, and says whether it did: parallel requests are
refused exactly as serial ones, across workers and hosts. Used for code
mails, sign-ups and reset mails; sign-in failures have their own rules in
throttle.py.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import RateLimited
from admin_app.models import RateLimit
from admin_app.security.randomness import new_id

table = RateLimit.__table__  # type: ignore[attr-defined]
HOUR = dt.timedelta(hours=1)


def upsert(session_or_dialect: Session | str) -> Any:
    """An INSERT into `rate_limits` that can go ON CONFLICT DO UPDATE, on either database."""
    dialect = session_or_dialect
    if not isinstance(dialect, str):
        dialect = dialect.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def stamp(value: dt.datetime) -> Any:
    return sa.bindparam(None, value, type_=table.c.updated_at.type)


def try_take(session: Session, key: str, *, limit: int, window: dt.timedelta = HOUR) -> int | None:
    """Count one use of `key`; None when counted, else the seconds until room (not committed)."""
    moment = now()
    nonce = new_id()
    c = table.c
    stale = c.window_start <= stamp(moment - window)
    admit = sa.or_(stale, c.failures < limit)
    statement = upsert(session).values(
        key=key, failures=1, streak=0, window_start=moment, updated_at=moment, nonce=nonce
    )
    row = session.execute(
        statement.on_conflict_do_update(
            index_elements=[c.key],
            set_={
                "failures": sa.case(
                    (stale, 1), (c.failures < limit, c.failures + 1), else_=c.failures
                ),
                "window_start": sa.case((stale, stamp(moment)), else_=c.window_start),
                "updated_at": stamp(moment),
                "nonce": sa.case((admit, nonce), else_=c.nonce),
            },
        ).returning(c.nonce, c.window_start)
    ).one()
    if row[0] == nonce:
        return None
    return max(1, math.ceil((row[1] + window - moment).total_seconds()))


def take(
    session: Session,
    key: str,
    *,
    limit: int,
    window: dt.timedelta = HOUR,
    message: str | None = None,
) -> None:
    """try_take, raising RateLimited when the window is full."""
    wait = try_take(session, key, limit=limit, window=window)
    if wait is not None:
        raise RateLimited(wait, message)


def give_back(session: Session, key: str) -> None:
    """Return one use (the work it paid for did not happen)."""
    c = table.c
    session.execute(
        sa.update(table).where(c.key == key, c.failures > 0).values(failures=c.failures - 1)
    )


def claim(session: Session, key: str, *, value: str, fresh_after: dt.datetime) -> str:
    """Set `key` to `value` unless it holds a value set after `fresh_after`; the value it holds.

    One atomic step: of many parallel claims, exactly one sees its own value.
    """
    moment = now()
    c = table.c
    stale = sa.or_(c.nonce.is_(None), c.updated_at <= stamp(fresh_after))
    statement = upsert(session).values(
        key=key, failures=0, streak=0, window_start=moment, updated_at=moment, nonce=value
    )
    held = session.execute(
        statement.on_conflict_do_update(
            index_elements=[c.key],
            set_={
                "nonce": sa.case((stale, value), else_=c.nonce),
                "updated_at": sa.case((stale, stamp(moment)), else_=c.updated_at),
            },
        ).returning(c.nonce)
    ).scalar_one()
    return str(held)


def replace(session: Session, key: str, *, old: str, new: str | None) -> bool:
    """Compare-and-set a claim: True when `key` held `old` and now holds `new`."""
    c = table.c
    done = session.execute(
        sa.update(table)
        .where(c.key == key, c.nonce == old)
        .values(nonce=new, updated_at=stamp(now()))
    )
    return getattr(done, "rowcount", 0) == 1
