"""Run `python -m admin_app ...` as a real process against a SQLite file in a tmp DATA_DIR.

The prompts are answered through stdin (the CLI reads them from there when
stdin is not a terminal). Databases that need existing users start as a copy
of one seeded template, so each test pays for one CLI process and no more.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from admin_app import migrate
from admin_app.db import make_engine
from admin_app.security.passwords import Passwords
from admin_app.services.access import browser_sessions
from admin_app.services.accounts import users
from admin_app.services.request_context import RequestContext
from admin_app.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "cli-test-secret-" + "x" * 40
DB_NAME = "admin_app.db"
# Typed at the prompts when stdin is not a terminal; stripped to find the error line.
PROMPTS = ("Username: ", "Full name: ", "Email: ", "Password: ", "Password (again): ")

# Seeded into the template database.
ADA_PASSWORD = "analytical engine notes"
BOB_PASSWORD = "difference engine number two"

# The default argon2id cost of SPEC section 11.
HASHER = Passwords(memory_kib=19456, time_cost=2, parallelism=1)


def cli_env(data_dir: Path) -> dict[str, str]:
    """A clean environment: nothing of the caller's (DATABASE_URL...) leaks in."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(DATA_DIR=str(data_dir), JWT_SECRET=JWT_SECRET, AUTH_MODE="password")
    return env


def run_cli(data_dir: Path, *args: str, answers: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "admin_app", *args],
        input=answers,
        env=cli_env(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


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
