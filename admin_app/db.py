"""One engine per process for pages, API and CLI, and the session scope.

Per process, never shared across a fork: granian forks its workers after the
start-up work has opened pooled connections, and two processes talking over
one PostgreSQL socket read each other's results. A forked child drops the
engines it inherited (without closing the parent's sockets) and makes its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from admin_app.settings import get_settings


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes writers
    # queue instead of failing with "database is locked" under load.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **pool: Any) -> Engine:
    """An engine for `url`, tuned for its dialect.

    `hide_parameters`: an error logged with its statement never carries the
    values (emails, code HMACs, sign-in payloads) into the logs.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            hide_parameters=True,
            **pool,
        )
        event.listen(engine, "connect", sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    # pool_pre_ping survives a database restart: a dead pooled connection is
    # replaced instead of failing the next request.
    return create_engine(
        parsed,
        pool_pre_ping=True,
        hide_parameters=True,
        **({"pool_size": 10, "max_overflow": 20} | pool),
    )


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def _drop_engine(*, close: bool) -> None:
    if get_engine.cache_info().currsize:
        get_engine().dispose(close=close)
    get_engine.cache_clear()


def dispose_all() -> None:
    """Close the engine's connections (before serving: the parent keeps no sockets)."""
    _drop_engine(close=True)


def _after_fork_in_child() -> None:
    # close=False: the sockets belong to the parent, which may still use them.
    _drop_engine(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


@contextmanager
def read_connection(engine: Engine | None = None) -> Iterator[Connection]:
    """A Core connection for hot read paths (token and session checks).

    Autocommit: no BEGIN and ROLLBACK round trips around a single SELECT, and
    no ORM session machinery. A rare write made on it commits at once.
    """
    with (engine or get_engine()).connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
