"""Where a credential check reads: the API's event loop, or a caller's session.

Each check of a request's credential (access token, API key) is written
once, as a coroutine over a `Reader`. The API runs it with `ENGINE`: reads
through `hot_reads.fetch_all`, which never hops to a worker thread (the hop costs
more than the query on this hot path), and the rare write in a thread, so
the event loop never waits on a writer. Pages, the CLI and tests hold a
session: `run_inline` drives the same coroutine over `SessionReader`, with
which nothing in it ever suspends, so no event loop is needed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session

from admin_app.db import session_scope
from admin_app.hot_reads import fetch_all

T = TypeVar("T")


class Reader(Protocol):
    async def fetch(self, statement: Executable, params: dict[str, Any]) -> Sequence[Any]: ...

    async def write(self, statement: Executable, params: dict[str, Any]) -> None: ...


def _write_now(statement: Executable, params: dict[str, Any]) -> None:
    with session_scope() as db:
        db.execute(statement, params)


class EngineReader:
    """The process's engine, from an async route."""

    async def fetch(self, statement: Executable, params: dict[str, Any]) -> Sequence[Any]:
        return await fetch_all(statement, params)

    async def write(self, statement: Executable, params: dict[str, Any]) -> None:
        await asyncio.to_thread(_write_now, statement, params)


@dataclasses.dataclass(frozen=True)
class SessionReader:
    """A caller's session or connection; writes land with the caller's commit."""

    db: Session | Connection

    async def fetch(self, statement: Executable, params: dict[str, Any]) -> Sequence[Any]:
        return self.db.execute(statement, params).all()

    async def write(self, statement: Executable, params: dict[str, Any]) -> None:
        self.db.execute(statement, params)


ENGINE: Reader = EngineReader()


def run_inline(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends (one over a SessionReader)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a credential check over a session suspended; it must not")
