"""Run `python -m admin_app ...` against a SQLite file in a tmp DATA_DIR.

The prompts are answered through stdin (the CLI reads them from there when
stdin is not a terminal). Databases that need existing users start as a copy
of one seeded template.

Two ways to run a command, with the same result to check (exit status,
stdout, stderr):

- `run_cli`: a real `python -m admin_app` process, with piped stdin. Each
  command keeps tests of this kind: the prompts answered end to end (the
  `prompted` and `reset` fixtures), a refusal's exit status 1, `migrate`.
- the `cli` fixture: `admin_app.cli.main(argv)` in this process, its
  environment set through monkeypatch, stdin a StringIO (not a terminal, as
  a pipe), stdout and stderr captured. For everything else: the validation,
  the refusals and what lands in the database, at a fraction of the cost
  of starting Python and importing the app.

Commands hash with the cheapest argon2id (tests/conftest.py's CHEAP_ARGON2),
except `prompted`, which runs at the defaults to check the stored hash.
"""

from __future__ import annotations

import dataclasses
import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from admin_app import cli as admin_cli
from admin_app import migrate
from admin_app.db import dispose_all, make_engine
from admin_app.security.passwords import Passwords
from admin_app.services.access import browser_sessions
from admin_app.services.accounts import users
from admin_app.services.request_context import RequestContext
from admin_app.settings import get_settings, load_settings
from tests.conftest import CHEAP_ARGON2

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "cli-test-secret-" + "x" * 40
DB_NAME = "admin_app.db"
# Typed at the prompts when stdin is not a terminal; stripped to find the error line.
PROMPTS = ("Username: ", "Full name: ", "Email: ", "Password: ", "Password (again): ")

# Seeded into the template database.
ADA_PASSWORD = "analytical engine notes"
BOB_PASSWORD = "difference engine number two"

# The default argon2id cost of SPEC section 11. Verifying reads the cost from
# the hash itself, so this checks hashes made at any cost.
HASHER = Passwords(memory_kib=19456, time_cost=2, parallelism=1)

_KEPT = ("PATH", "HOME", "LANG", "TMPDIR")


def cli_env(data_dir: Path, *, default_argon2: bool = False) -> dict[str, str]:
    """A clean environment: nothing of the caller's (DATABASE_URL...) leaks in."""
    env = {key: os.environ[key] for key in _KEPT if key in os.environ}
    env.update(DATA_DIR=str(data_dir), JWT_SECRET=JWT_SECRET, AUTH_MODE="password")
    if not default_argon2:
        env.update(CHEAP_ARGON2)
    return env


def run_cli(
    data_dir: Path, *args: str, answers: str = "", default_argon2: bool = False
) -> subprocess.CompletedProcess[str]:
    """A real `python -m admin_app` process."""
    return subprocess.run(
        [sys.executable, "-m", "admin_app", *args],
        input=answers,
        env=cli_env(data_dir, default_argon2=default_argon2),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    """`cli(data_dir, *args, answers="")`: run_cli's result, from `main(argv)` in this process."""

    def call(data_dir: Path, *args: str, answers: str = "") -> subprocess.CompletedProcess[str]:
        # The process environment is cli_env's and nothing else (pytest's own kept).
        for key in list(os.environ):
            if key not in _KEPT and not key.startswith("PYTEST_"):
                monkeypatch.delenv(key)
        for key, value in cli_env(data_dir).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
        get_settings.cache_clear()
        capsys.readouterr()
        try:
            status = admin_cli.main(list(args))
        finally:
            dispose_all()
            get_settings.cache_clear()
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["admin_app", *args], status, out, err)

    yield call
    dispose_all()
    get_settings.cache_clear()


def lines(*answers: str) -> str:
    return "".join(f"{answer}\n" for answer in answers)


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command printed, checked to be the whole story."""
    assert result.returncode == 1, result
    assert result.stdout == ""
    # With stdin piped, each prompt ends its own line on stderr; the error follows.
    *prompts, last = result.stderr.splitlines()
    assert all(line in PROMPTS for line in prompts), result.stderr
    assert result.stderr.endswith("\n")
    assert last.startswith("error: "), result.stderr
    return last


@dataclasses.dataclass(frozen=True)
class Db:
    """Read-only look at the CLI's SQLite file."""

    path: Path

    def rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with closing(sqlite3.connect(self.path)) as conn:
            conn.row_factory = sqlite3.Row
            return list(conn.execute(sql, params))

    def user(self, username: str) -> sqlite3.Row:
        (row,) = self.rows("SELECT * FROM users WHERE username = ?", username)
        return row

    def usernames(self) -> list[str]:
        return [row["username"] for row in self.rows("SELECT username FROM users ORDER BY id")]

    def roles(self, username: str) -> list[str]:
        return [
            row["name"]
            for row in self.rows(
                "SELECT roles.name FROM roles"
                " JOIN user_roles ON user_roles.role_id = roles.id"
                " JOIN users ON users.id = user_roles.user_id"
                " WHERE users.username = ? ORDER BY roles.name",
                username,
            )
        ]

    def live_sessions(self, username: str) -> int:
        (row,) = self.rows(
            "SELECT count(*) AS n FROM sessions JOIN users ON users.id = sessions.user_id"
            " WHERE users.username = ? AND sessions.revoked_at IS NULL",
            username,
        )
        return int(row["n"])

    def audit(self, kind: str) -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM audit_events WHERE kind = ? ORDER BY id", kind)

    def audit_count(self) -> int:
        return int(self.rows("SELECT count(*) AS n FROM audit_events")[0]["n"])


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database holding `ada` (Admin) and `bob`, each with live sessions."""
    data_dir = tmp_path_factory.mktemp("template")
    settings = load_settings(cli_env(data_dir))
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    ctx = RequestContext(ip="203.0.113.7", user_agent="pytest")
    with Session(engine) as session:
        for username, password, admin, n_sessions in (
            ("ada", ADA_PASSWORD, True, 2),
            ("bob", BOB_PASSWORD, False, 1),
        ):
            user = users.create_user(
                session,
                settings=settings,
                data=users.NewUser(
                    username=username,
                    full_name=username.title(),
                    email=f"{username}@example.com",
                    password=password,
                    is_admin=admin,
                ),
                ctx=ctx,
            )
            assert user.id is not None
            for _ in range(n_sessions):
                browser_sessions.start(session, settings=settings, user_id=user.id, ctx=ctx)
        session.commit()
    engine.dispose()
    return data_dir / DB_NAME


@pytest.fixture
def fresh_dir(tmp_path: Path) -> Path:
    """A DATA_DIR with no database yet: a first install."""
    return tmp_path / "data"


@pytest.fixture
def seeded_dir(tmp_path: Path, template_db: Path) -> Path:
    """A DATA_DIR whose database is a copy of the seeded template."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    copy_db(template_db, data_dir / DB_NAME)
    return data_dir


def copy_db(source: Path, target: Path) -> None:
    # The backup API copies whatever still sits in the write-ahead log too.
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture
def seeded_db(seeded_dir: Path) -> Db:
    return Db(seeded_dir / DB_NAME)
