"""Reads on the hot path of async routes (token and key checks), on the
database's own driver, without a thread hop.

SQLAlchemy builds each statement, once per dialect: its SQL, the order of its
parameters and the conversions of its values (a SQLite 0/1 to a bool, a
SQLite text to a datetime) are SQLAlchemy's own. Only the execution skips
its Core layer, which cost several times the query itself on this path
(benchmarks/README.md, "Where a request's time goes").

- SQLite: one connection per thread, in autocommit, called inline on the
  event loop. Readers in WAL mode never wait for the writer, and the
  busy timeout covers the rare checkpoint.
- PostgreSQL: psycopg's own async pool, so the loop never waits on the
  network; statements are prepared on the server after their first uses.
  A broken connection (a restarted server) is dropped by the pool and the
  read retried once on another.

Nothing here crosses a fork: a forked child forgets the parent's
connections and pools (without closing them) and makes its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import threading
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.sql.expression import Executable, Select

from admin_app.db import get_engine, sqlite_pragmas
from admin_app.settings import get_settings

Processor = Callable[[Any], Any] | None
POOL_SIZE = 10
POOL_TIMEOUT_SECONDS = 5.0


@dataclasses.dataclass(frozen=True)
class _Built:
    """A statement compiled for one dialect, with its value conversions."""

    sql: str
    positional: tuple[str, ...] | None  # parameter order for `?` placeholders
    defaults: dict[str, Any]
    binds: dict[str, Processor]
    results: tuple[Processor, ...]
    row: Callable[..., tuple[Any, ...]]  # a named tuple: row.key_hash, as with SQLAlchemy

    def parameters(self, params: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = self.defaults | params
        converted = {
            name: (convert(values[name]) if convert else values[name])
            for name, convert in self.binds.items()
        }
        if self.positional is None:
            return converted
        return [converted[name] for name in self.positional]

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not any(self.results):
            return [self.row(*row) for row in raw]
        pairs = [zip(self.results, row, strict=True) for row in raw]
        return [self.row(*(convert(v) if convert else v for convert, v in pair)) for pair in pairs]


def _build(statement: Executable, dialect: Dialect) -> _Built:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    columns = list(statement.selected_columns) if isinstance(statement, Select) else []
    return _Built(
        sql=compiled.string,
        positional=tuple(compiled.positiontup) if compiled.positional else None,
        defaults=dict(compiled.params),
        binds={
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for bind, name in compiled.bind_names.items()
        },
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ),
        row=(
            namedtuple("Row", [column.key for column in columns], rename=True)  # type: ignore[misc]
            if columns
            else _plain
        ),
    )


def _plain(*values: Any) -> tuple[Any, ...]:
    return values


# Statements on this path are module constants, keyed by identity; each
# entry holds its statement, so an id is never reused for another one.
_built: dict[tuple[int, str], tuple[Executable, _Built]] = {}


def _built_for(statement: Executable, dialect: Dialect) -> _Built:
    entry = _built.get((id(statement), dialect.name))
    if entry is None:
        entry = _built[(id(statement), dialect.name)] = (statement, _build(statement, dialect))
    return entry[1]


class _SqliteReads:
    """One autocommit connection per thread (the event loop's, in the app)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()

    def connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self.local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            sqlite_pragmas(connection, None)
            self.local.connection = connection
        return connection

    def fetch(self, built: _Built, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            raw = self.connection().execute(built.sql, built.parameters(params)).fetchall()
        except sqlite3.Error as exc:
            raise _as_sqlalchemy(built, exc, sqlite3.Error) from exc
        return built.rows(raw)


class _PostgresReads:
    """psycopg's async pool, one per event loop (one per worker in the app)."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.pools: dict[asyncio.AbstractEventLoop, AsyncConnectionPool] = {}

    async def _pool(self) -> AsyncConnectionPool:
        loop = asyncio.get_running_loop()
        pool = self.pools.get(loop)
        if pool is None:
            for gone in [other for other in self.pools if other.is_closed()]:
                del self.pools[gone]  # a finished test's loop
            pool = self.pools[loop] = AsyncConnectionPool(
                self.conninfo,
                min_size=0,
                max_size=POOL_SIZE,
                max_idle=60,
                timeout=POOL_TIMEOUT_SECONDS,
                kwargs={"autocommit": True},
                open=False,
            )
        await pool.open()
        return pool

    async def fetch(self, built: _Built, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        pool = await self._pool()
        try:
            try:
                return await self._once(pool, built, params)
            except psycopg.OperationalError:
                # A restarted server leaves every idle connection broken: the
                # pool drops them, and a read is safe to run again.
                await pool.check()
                return await self._once(pool, built, params)
        except psycopg.Error as exc:
            raise _as_sqlalchemy(built, exc, psycopg.Error) from exc

    async def close_here(self) -> None:
        pool = self.pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()

    @staticmethod
    async def _once(
        pool: AsyncConnectionPool, built: _Built, params: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        async with pool.connection() as connection:
            cursor = await connection.execute(built.sql, built.parameters(params))
            return built.rows(await cursor.fetchall())


def _as_sqlalchemy(built: _Built, exc: Exception, base: type[Exception]) -> Exception:
    """The driver's error as SQLAlchemy's (OperationalError and so on), as the
    API's outage handler and every caller expect; never with the values."""
    return sa_exc.DBAPIError.instance(built.sql, None, exc, base, hide_parameters=True)


Reader = _SqliteReads | _PostgresReads | None
_current: dict[str, Reader] = {}  # the one database URL in use, and its reader
_inherited: list[object] = []


def _reader(database_url: str) -> Reader:
    if database_url not in _current:
        # Another URL (only tests change it): the old reader goes, and with
        # it, once collected, its connections.
        _current.clear()
        url = make_url(database_url)
        reader: Reader = None
        if url.get_backend_name() == "postgresql":
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            reader = _PostgresReads(conninfo)
        elif url.database not in (None, "", ":memory:"):
            reader = _SqliteReads(url.database)
        # else: an in-memory database exists only in its engine's connection
        _current[database_url] = reader
    return _current[database_url]


async def fetch_all(statement: Executable, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of one read (a module-level statement), converted as SQLAlchemy would."""
    reader = _reader(get_settings().database_url)
    engine = get_engine()
    if reader is None:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(statement, params).all()]
    built = _built_for(statement, engine.dialect)
    if isinstance(reader, _PostgresReads):
        return await reader.fetch(built, params)
    return reader.fetch(built, params)


async def close_here() -> None:
    """Close this event loop's PostgreSQL pool, before the loop itself ends.

    A loop closed with its pool open cancels the pool's workers mid-task,
    which can wait for ever on a connection the server dropped.
    """
    for reader in list(_current.values()):
        if isinstance(reader, _PostgresReads):
            await reader.close_here()


def forget() -> None:
    """Drop this process's readers (tests that change the database): once
    collected, their connections close."""
    _current.clear()


def _after_fork_in_child() -> None:
    # Never closed in the child: the connections belong to the parent, and
    # closing a PostgreSQL connection tells the server to end it. Kept
    # referenced, so that no finaliser closes them either.
    _inherited.extend(_current.values())
    _current.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
