"""Engines per process, and an event loop that never waits for a pooled connection."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.requests import Request

from admin_app import db as app_db
from admin_app import hot_reads
from admin_app.api import errors
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
        # A loop of its own, in a thread: Playwright's may be running in this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            read = hot_reads.fetch_all(sa.text("SELECT 1"), {})
            rows = pool.submit(asyncio.run, asyncio.wait_for(read, timeout=5)).result()
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
