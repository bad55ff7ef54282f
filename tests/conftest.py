"""Shared fixtures: settings, a migrated database on SQLite and PostgreSQL, factories.

Services are tested against both databases: `engine` is parametrised, and
the PostgreSQL case runs on a real server started for the run (skipped, with
the reason, when PostgreSQL is not installed; `make test` installs it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app import migrate
from admin_app.clock import clock
from admin_app.db import make_engine
from admin_app.models import User
from admin_app.services.accounts import users
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings, load_settings
from tests.support import postgres
from tests.support.smtp import SmtpServer

TEST_SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery staple"
CTX = RequestContext(ip="203.0.113.7", user_agent="pytest")


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings from an explicit environment; keyword overrides are variable names."""

    def build(**env: Any) -> Settings:
        base = {
            "DATA_DIR": str(tmp_path / "data"),
            "JWT_SECRET": TEST_SECRET,
            "AUTH_MODE": "password",
        }
        base.update({key: str(value) for key, value in env.items()})
        return load_settings(base)

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.PostgresServer | None]:
    server = postgres.start()
    yield server
    if server is not None:
        server.stop()


_template_ready: set[str] = set()
_counter = itertools.count()


def _pg_database(server: postgres.PostgresServer) -> str:
    """A fresh database cloned from a migrated template (cheaper than migrating each time)."""
    admin = sa.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if "template" not in _template_ready:
            conn.execute(sa.text("CREATE DATABASE admin_app_template"))
            template_engine = make_engine(server.url("admin_app_template"))
            migrate.upgrade(template_engine)
            template_engine.dispose()
            _template_ready.add("template")
        name = f"admin_app_test_{next(_counter)}"
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE admin_app_template'))
    admin.dispose()
    return server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_server: postgres.PostgresServer | None
) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        return url
    if pg_server is None:
        pytest.skip("PostgreSQL is not installed (make test installs it)")
    return _pg_database(pg_server)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def make_user(db: Session, settings: Settings) -> Callable[..., User]:
    """Create a committed user: `make_user(admin=True, password=None, active=False)`."""
    numbers = itertools.count(1)

    def build(
        *,
        username: str | None = None,
        email: str | None = None,
        full_name: str = "Test User",
        password: str | None = PASSWORD,
        admin: bool = False,
        active: bool = True,
        mfa: bool = False,
    ) -> User:
        n = next(numbers)
        user = users.create_user(
            db,
            settings=settings,
            data=users.NewUser(
                username=username or f"user{n}",
                full_name=full_name,
                email=email or f"user{n}@example.com",
                password=password,
                is_admin=admin,
            ),
            ctx=CTX,
        )
        user.is_active = active
        user.mfa_enabled = mfa
        db.add(user)
        db.commit()
        return user

    return build


@pytest.fixture
def travel() -> Iterator[Callable[[float], None]]:
    """Move the application clock forward by some seconds."""
    import datetime as dt

    def forward(seconds: float) -> None:
        clock.offset += dt.timedelta(seconds=seconds)

    yield forward
    clock.offset = dt.timedelta(0)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
