"""Browser tests: the app really built and served, driven in Debian's Chromium.

The frontend is built once per run (into .web-test/, so a developer's .web/
is left alone). It bakes in its port, so every app server of the run uses the
same port, one at a time: each test module starts its own server with the
environment it needs (AUTH_MODE and so on) against a fresh database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import CHEAP_ARGON2
from tests.support.smtp import Inbox, SmtpServer

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
SECRET = "e2e-secret-" + "y" * 40
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def e2e_port() -> int:
    return _free_port()


def base_env(port: int, data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AUTH_", "SMTP_", "SUPERADMIN_", "SIGNUP_", "APP_", "DATABASE_"))
    }
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        REFLEX_USE_NPM="1",
        # One build folder per concurrent run (E2E_WEB_DIR); .web stays the developer's.
        REFLEX_WEB_WORKDIR=os.environ.get("E2E_WEB_DIR", ".web-test"),
        REFLEX_STATES_WORKDIR=str(data_dir / "states"),
        APP_URL=f"http://localhost:{port}",
        DATA_DIR=str(data_dir),
        JWT_SECRET=SECRET,
        PYTHONUNBUFFERED="1",
        # The documented example extension (docs/extending.md) is part of every
        # build here, so tests/e2e/test_extending.py drives it as a team would.
        APP_EXTENSIONS="examples.reports",
        # The cheapest argon2id: no test here is about its cost (tests/conftest.py).
        **CHEAP_ARGON2,
    )
    return env


@pytest.fixture(scope="session")
def built_frontend(e2e_port: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs it)")
    env = base_env(e2e_port, tmp_path_factory.mktemp("build"))
    subprocess.run(
        [sys.executable, "-m", "admin_app", "build"], cwd=ROOT, env=env, check=True, timeout=600
    )


@dataclasses.dataclass
class AppServer:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run `python -m admin_app ...` against this server's database."""
        return subprocess.run(
            [sys.executable, "-m", "admin_app", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def create_user(self, username: str, email: str, full_name: str = "Ada Lovelace") -> None:
        result = self.cli(
            "create-admin",
            f"--username={username}",
            f"--email={email}",
            f"--full-name={full_name}",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert result.returncode == 0, result.stderr

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Read this server's SQLite database (DATABASE_URL is unset: <DATA_DIR>/admin_app.db)."""
        path = Path(self.env["DATA_DIR"]) / "admin_app.db"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute(sql, params).fetchall()

    def user_count(self, email: str) -> int:
        rows = self.query("SELECT count(*) FROM users WHERE lower(email) = lower(?)", email)
        return int(rows[0][0])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _wait_until_up(server: AppServer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"app server exited:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/ping", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"app server did not answer:\n{server.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def start_server(
    built_frontend: None, e2e_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., AppServer]]:
    """Start the app with extra environment; the module's server is stopped at its end."""
    running: list[AppServer] = []

    def start(**extra: Any) -> AppServer:
        for server in running:
            server.stop()
        running.clear()
        data_dir = tmp_path_factory.mktemp("app")
        env = base_env(e2e_port, data_dir)
        env.update({key: str(value) for key, value in extra.items()})
        log = data_dir / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "admin_app", "serve", f"--port={e2e_port}"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = AppServer(url=f"http://localhost:{e2e_port}", env=env, process=process, log=log)
        running.append(server)
        _wait_until_up(server)
        return server

    yield start
    for server in running:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


class MailServer:
    """A module's real SMTP server; it can go down and come back on the same port."""

    def __init__(self) -> None:
        self._smtp = SmtpServer()
        self.inbox: Inbox = self._smtp.inbox
        self.port = self._smtp.port

    @property
    def env(self) -> dict[str, str]:
        """What `start_server` needs to send its mail here."""
        return self._smtp.env

    def start(self) -> None:
        self._smtp.start()

    def stop(self) -> None:
        self._smtp.stop()

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """Nothing listens on the port inside the block; the same inbox is back after it."""
        self._smtp.stop()
        try:
            yield
        finally:
            self._smtp.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self._smtp.start()


@pytest.fixture(scope="module")
def mail_server() -> Iterator[MailServer]:
    """One SMTP server per module: `start_server(**mail_server.env, ...)`."""
    server = MailServer()
    server.start()
    yield server
    server.stop()


def unique(prefix: str) -> str:
    """A fresh name: no address is a substring of another's in the inbox."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def masked(email: str) -> str:
    """How /verify shows an address: `a•••e@example.com`."""
    local, _, domain = email.partition("@")
    return f"{local[0]}•••{local[-1]}@{domain}"


def enter_code(page: Page, code: str) -> None:
    """Type the code digit by digit, at a brisk human pace: the sixth digit submits by itself.

    (At zero delay between keys the controlled input drops digits: each one
    round-trips through the server.)
    """
    page.get_by_label("Verification code").press_sequentially(code, delay=60)


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def path_is(path: str) -> re.Pattern[str]:
    """A URL pattern for `path`, with or without Reflex's trailing slash."""
    return re.compile(rf"^http://localhost:\d+{re.escape(path.rstrip('/'))}/?(\?.*)?$")


def sign_in(page: Page, identifier: str, password: str = PASSWORD) -> None:
    page.get_by_label("Email or username").fill(identifier)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(path_is("/login"))


__all__ = [
    "PASSWORD",
    "AppServer",
    "MailServer",
    "enter_code",
    "expect",
    "masked",
    "path_is",
    "sign_in",
    "sign_out",
    "unique",
    "wrong_code",
]
