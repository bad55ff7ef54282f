"""Engines per process, an event loop that never waits for a pooled connection, and the
hot-path reads on the raw driver (they give what SQLAlchemy gives and survive lost connections)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.requests import Request

from admin_app import db as app_db
from admin_app import hot_reads
from admin_app.api import errors
from admin_app.models import User
from admin_app.settings import get_settings

# On SQLite and PostgreSQL (see tests/conftest.py): engines, pools and forks, per dialect.
pytestmark = pytest.mark.both_databases


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[str]:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    app_db.dispose_all()
    hot_reads.forget()
    yield database_url
    app_db.dispose_all()
    hot_reads.forget()
    get_settings.cache_clear()


def _connection(engine: sa.Engine) -> tuple[object, object]:
    """(the driver's connection object, the server's id for it: a backend pid on PostgreSQL)."""
    query = "SELECT pg_backend_pid()" if engine.dialect.name == "postgresql" else "SELECT 1"
    with engine.connect() as connection:
        server_side = connection.execute(sa.text(query)).scalar()
        return connection.connection.dbapi_connection, server_side


def test_a_forked_child_never_uses_the_parents_connections(configured: str) -> None:
    parent = app_db.get_engine()
    parents_driver, parents_backend = _connection(parent)  # now idle in the parent's pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once, whatever happens
        try:
            child = app_db.get_engine()
            driver, backend = _connection(child)
            answer = f"{child is parent}|{driver is parents_driver}|{backend}"
        except BaseException as exc:
            answer = f"error|{exc!r}|"
        os.write(write, answer.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    same_engine, same_driver, childs_backend = os.read(read, 4096).decode().split("|", 2)
    os.close(read)
    assert (same_engine, same_driver) == ("False", "False"), childs_backend
    if parent.dialect.name == "postgresql":
        assert childs_backend != str(parents_backend)
    # The parent's own connection still works after the child left.
    assert _connection(parent) == (parents_driver, parents_backend)


def test_the_loop_reads_even_when_threads_hold_every_pooled_connection(configured: str) -> None:
    engine = app_db.get_engine()
    held = [engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]  # type: ignore[attr-defined]
    try:
        read = hot_reads.fetch_all(sa.text("SELECT 1"), {})
        rows = _own_loop(asyncio.wait_for(read, timeout=5))
        assert [tuple(row) for row in rows] == [(1,)]
    finally:
        for connection in held:
            connection.close()


def test_a_failed_statement_carries_no_values_into_logs(
    configured: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = app_db.get_engine()
    secret = "ada-secret@example.com"
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE IF NOT EXISTS t_log (v VARCHAR PRIMARY KEY)"))
        connection.execute(sa.text("INSERT INTO t_log VALUES (:v)"), {"v": secret})
    with pytest.raises(sa.exc.IntegrityError) as failed, engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO t_log VALUES (:v)"), {"v": secret})
    # The parameters are hidden; PostgreSQL still quotes the key in its own
    # message, so the API's error log keeps to the statement and the kind.
    assert "[SQL parameters hidden" in str(failed.value)
    request = Request({"type": "http", "method": "POST", "path": "/auth/signup", "headers": []})
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(asyncio.run, errors._unexpected(request, failed.value)).result()
    assert answer.status_code == 500
    assert "INSERT INTO t_log" in caplog.text
    assert "IntegrityError" in caplog.text or "UniqueViolation" in caplog.text
    assert secret not in caplog.text


# The hot-path reads (admin_app/hot_reads.py).

T = TypeVar("T")


def _own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's loop may be running in this one.

    The loop's pool is closed before the loop ends (`hot_reads.close_here`).
    """

    async def then_close() -> T:
        try:
            return await coroutine
        finally:
            await hot_reads.close_here()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, then_close()).result()


_users = User.__table__  # type: ignore[attr-defined]
# Module constants, as on the app's hot path: a bool, a datetime, text, an int.
_ROW = sa.select(
    _users.c.username,
    _users.c.is_active,
    _users.c.mfa_enabled,
    _users.c.created_at,
    _users.c.security_stamp,
    sa.exists().where(_users.c.id == sa.bindparam("other")).label("other_exists"),
).where(_users.c.id == sa.bindparam("user_id"))


def _read(statement: sa.Executable, params: dict[str, object]) -> list[tuple[object, ...]]:
    # A loop of its own in a thread, as a TestClient has.
    return _own_loop(hot_reads.fetch_all(statement, params))


def test_rows_are_what_sqlalchemy_gives(configured: str, make_user: Callable[..., User]) -> None:
    ada = make_user(username="ada")
    params = {"user_id": ada.id, "other": -1}
    with app_db.get_engine().connect() as connection:
        expected = [tuple(row) for row in connection.execute(_ROW, params).all()]
    rows = _read(_ROW, params)
    assert rows == expected
    assert rows[0].username == "ada"  # type: ignore[attr-defined]
    assert rows[0][1] is True and rows[0][2] is False and rows[0][5] is False
    assert _read(_ROW, {"user_id": -1, "other": -1}) == []


def test_a_statement_error_is_sqlalchemys(configured: str) -> None:
    missing = sa.select(sa.column("x")).select_from(sa.table("no_such_table"))
    with pytest.raises(sa.exc.DBAPIError) as failed:
        _read(missing, {})
    assert "no_such_table" in str(failed.value)


def test_a_read_survives_the_server_dropping_its_connections(
    configured: str, make_user: Callable[..., User], engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connections to lose")
    ada = make_user(username="ada")
    params = {"user_id": ada.id, "other": -1}

    async def twice() -> list[tuple[object, ...]]:
        await hot_reads.fetch_all(_ROW, params)  # the pool now holds a connection
        with engine.connect() as admin:  # as a restarted server would, end them all
            admin.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        return await hot_reads.fetch_all(_ROW, params)

    assert _own_loop(twice())[0][0] == "ada"
