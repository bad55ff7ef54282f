"""Hot-path reads on the raw driver give what SQLAlchemy gives, and survive lost connections."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from admin_app import db as app_db
from admin_app import hot_reads
from admin_app.models import User
from admin_app.settings import get_settings

T = TypeVar("T")


def _own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's loop may be running in this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


pytestmark = pytest.mark.both_databases

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


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[str]:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    app_db.dispose_all()
    hot_reads.forget()
    yield database_url
    hot_reads.forget()
    app_db.dispose_all()
    get_settings.cache_clear()


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
