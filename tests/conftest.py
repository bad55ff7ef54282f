"""Shared fixtures: settings, a migrated database, SMTP, OAuth providers, factories.

Databases. `database_url` (and `engine`, `db`, `make_user` and `api_client`
on top of it) is a SQLite file copied from one template migrated per run.
A test runs on PostgreSQL as well, on a real server started for the run
(skipped, with the reason, when PostgreSQL is not installed; `make test`
installs it), when it is marked `both_databases`:

    pytestmark = pytest.mark.both_databases       # a whole module
    @pytest.mark.both_databases                   # one test

The rule: mark what the two databases may do differently. That is code that
branches on the dialect (budgets' upserts, the last-Admin lock, the user and
audit searches, UTC days), races and concurrency (threads, parallel
requests, rollbacks racing commits), locks, unique constraints and
case-insensitive lookups (SQLite's lower() is ASCII only), large integers,
the migrations themselves, and the API's credential reads (PostgreSQL reads
go through the async psycopg engine, SQLite's inline). When in doubt, mark.
Everything else runs on SQLite only: its SQL is the same on both.

Argon2. Settings built here hash with the cheapest argon2id the settings
allow (CHEAP_ARGON2); the production cost is only worth paying where it is
what is tested. `DEFAULT_ARGON2` passed to `make_settings` leaves the cost at
the product's defaults. The tests at the default cost through the real path:
tests/test_settings.py::test_defaults (the default values),
tests/security/test_passwords.py::test_the_default_settings_hash_and_verify
(a hash and verify through `passwords(settings)` at those defaults),
tests/cli/test_create_admin.py::test_password_is_stored_as_an_argon2id_hash
(a real `create-admin` process with no ARGON2_* variables) and the two
tests of tests/services/test_signin.py that check the hash's parameters.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # imported by the fixtures that start them: oidc-provider-mock is heavy
    from tests.support.github import GitHubProvider
    from tests.support.oidc import OidcProvider

TEST_SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery staple"
CTX = RequestContext(ip="203.0.113.7", user_agent="pytest")

# The cheapest argon2id the settings accept (SPEC section 11 has the defaults).
CHEAP_ARGON2 = {"ARGON2_MEMORY_KIB": "8", "ARGON2_TIME_COST": "1", "ARGON2_PARALLELISM": "1"}
# `make_settings(**DEFAULT_ARGON2)`: no ARGON2_* variable, so the product's defaults.
DEFAULT_ARGON2: dict[str, Any] = dict.fromkeys(CHEAP_ARGON2)
# For services that take settings only to word a notice (a new API key's
# mail): console mail, under the system's temporary directory.
KEY_SETTINGS = load_settings(
    {
        "JWT_SECRET": TEST_SECRET,
        "DATA_DIR": str(Path(tempfile.gettempdir()) / "admin_app-tests"),
        **CHEAP_ARGON2,
    }
)

DATABASES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`both_databases` runs a test that uses the database on SQLite and on PostgreSQL."""
    if "database_url" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("both_databases") is None:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if isinstance(names, str):
            names = [name.strip() for name in names.split(",")]
        if "database_url" in names:
            return  # the test names its database itself
    metafunc.parametrize("database_url", DATABASES, indirect=True)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings from an explicit environment; keyword overrides are variable names.

    A value of None leaves the variable out (see DEFAULT_ARGON2).
    """

    def build(**env: Any) -> Settings:
        base: dict[str, Any] = {
            "DATA_DIR": str(tmp_path / "data"),
            "JWT_SECRET": TEST_SECRET,
            "AUTH_MODE": "password",
            **CHEAP_ARGON2,
        }
        base.update(env)
        return load_settings({key: str(value) for key, value in base.items() if value is not None})

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def mail_settings(
    make_settings: Callable[..., Settings], smtp_server: SmtpServer
) -> Callable[..., Settings]:
    """`mail_settings("otp", **ENV)`: settings for an AUTH_MODE mailing the test SMTP server."""

    def build(auth_mode: str = "password", **env: Any) -> Settings:
        return make_settings(**{"AUTH_MODE": auth_mode, **smtp_server.env, **env})

    return build


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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("sqlite_template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    # Everything in the main file, no write-ahead log beside it: one file to copy.
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert not path.with_name(path.name + "-wal").exists() or (
        path.with_name(path.name + "-wal").stat().st_size == 0
    )
    return path


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    pg_server: postgres.PostgresServer | None,
) -> str:
    """SQLite, or the database named by `both_databases` or an indirect parametrisation."""
    if getattr(request, "param", "sqlite") == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
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
    """Create a committed user: `make_user(admin=True, password=None, active=False)`.

    The password is hashed with `settings` unless other settings are given.
    """
    numbers = itertools.count(1)
    default_settings = settings

    def build(
        *,
        username: str | None = None,
        email: str | None = None,
        full_name: str = "Test User",
        password: str | None = PASSWORD,
        admin: bool = False,
        active: bool = True,
        mfa: bool = False,
        settings: Settings | None = None,
    ) -> User:
        n = next(numbers)
        user = users.create_user(
            db,
            settings=settings or default_settings,
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


@pytest.fixture(scope="session")
def _smtp_server_of_the_run() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(_smtp_server_of_the_run: SmtpServer) -> SmtpServer:
    """The run's SMTP server, its inbox empty at the start of the test.

    Shared: a test that needs the server down or slow starts a server of its own.
    """
    _smtp_server_of_the_run.inbox.clear()
    return _smtp_server_of_the_run


# OAuth providers (tests/support): one of each per module, their records reset per test.


@pytest.fixture(scope="module")
def github_server() -> Iterator[GitHubProvider]:
    from tests.support.github import GitHubProvider

    with GitHubProvider() as server:
        yield server


@pytest.fixture(scope="module")
def oidc_server() -> Iterator[OidcProvider]:
    """Plays Google and Microsoft at once: each `sub` is set before it signs in."""
    from tests.support.oidc import OidcProvider

    with OidcProvider() as server:
        yield server


@pytest.fixture
def github(github_server: GitHubProvider) -> Iterator[GitHubProvider]:
    github_server.reset()
    yield github_server
    github_server.reset()


@pytest.fixture
def oidc(oidc_server: OidcProvider) -> Iterator[OidcProvider]:
    oidc_server.reset()
    yield oidc_server
    oidc_server.reset()
