"""A newcomer's first `make run`, from a fresh clone with only the runtime requirements.

Clones this repository's committed HEAD into a temporary directory, runs the
README's `make run` there (it makes its own .venv from requirements.txt), checks
that venv holds no dev tools, creates the first admin with the README's command,
signs in with an email code read from the development mailbox in Chromium,
then times a warm restart. Prints the figures; exits 0 only if all of it worked.

Run it with the dev venv's python (it needs Playwright): `.venv/bin/python
scripts/first_run_check.py`. Chromium is Debian's (`make system-deps`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A cold start installs the Python and npm packages and builds the frontend.
COLD_START_TIMEOUT = 15 * 60
WARM_START_TIMEOUT = 2 * 60
STOP_GRACE = 15
BROWSER_TIMEOUT_MS = 30_000
EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"  # noqa: S105 (a throwaway account in a temp dir)
# What would make the clone's app differ from a newcomer's defaults (mode otp,
# SQLite, console mail), or make its `make` use another venv.
DROPPED_ENV_PREFIXES = (
    "AUTH_",
    "SMTP_",
    "APP_",
    "DATABASE_",
    "REDIS_",
    "JWT_",
    "SUPERADMIN_",
    "SIGNUP_",
    "DATA_DIR",
    "REFLEX_",
    "VIRTUAL_ENV",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
)


class CheckFailed(Exception):
    """A step of the first run did not do what the README promises."""


def run(
    args: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    check: bool = False,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command of ours (fixed arguments, no shell), capturing its output as text."""
    return subprocess.run(  # noqa: S603
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


def repository_root() -> Path:
    here = Path(__file__).resolve().parent
    result = run(["git", "rev-parse", "--show-toplevel"], cwd=here, check=True)
    return Path(result.stdout.strip())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Nothing listens on it; the last run's connections in TIME_WAIT do not count."""
    with socket.socket() as sock:
        # As a server binds: TIME_WAIT left by the browser would refuse a plain bind.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def clean_env(main_venv_bin: Path, port: int) -> dict[str, str]:
    """This environment as a newcomer's shell would have it, plus the port to serve on."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(DROPPED_ENV_PREFIXES)
    }
    # Our dev venv on PATH would hide a missing runtime package in the clone's.
    path = [
        entry
        for entry in env.get("PATH", "").split(os.pathsep)
        if entry and Path(entry).resolve() != main_venv_bin
    ]
    env["PATH"] = os.pathsep.join(path)
    env["APP_URL"] = f"http://localhost:{port}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def log_tail(log: Path, chars: int = 4000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def answers_ping(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=2):  # noqa: S310 (our loopback URL)
            return True
    except OSError:
        return False


class Server:
    """`make run` in the clone, in its own process group so that all of it can be stopped."""

    def __init__(self, clone: Path, env: dict[str, str], log: Path) -> None:
        self.url = env["APP_URL"]
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                ["make", "run"],  # noqa: S607 (make from PATH, as a newcomer types it)
                cwd=clone,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # start_new_session: the group's id is the leader's pid, and stays valid
        # while any member lives, even once make itself has gone.
        self.pgid = self.process.pid

    def wait_until_serving(self, timeout: float) -> float:
        """Seconds until /ping answers; fails if `make run` exits or takes too long."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise CheckFailed(
                    f"`make run` exited with {self.process.returncode} before serving; "
                    f"the end of {self.log}:\n{log_tail(self.log)}"
                )
            if answers_ping(self.url):
                return time.monotonic() - started
            time.sleep(0.5)
        raise CheckFailed(
            f"{self.url}/ping did not answer within {timeout:.0f} s; "
            f"the end of {self.log}:\n{log_tail(self.log)}"
        )

    def group_alive(self) -> bool:
        self.process.poll()  # reap make, so that a dead leader does not count
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL to whatever is left after the grace period."""
        for sig, wait in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, 5)):
            if not self.group_alive():
                return
            os.killpg(self.pgid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self.group_alive():
                time.sleep(0.2)
        if self.group_alive():
            raise CheckFailed(f"process group {self.pgid} survived SIGKILL")


def check_runtime_venv(clone: Path, env: dict[str, str]) -> None:
    """The venv `make run` made is consistent and holds runtime packages only."""
    pip_check = run([clone / ".venv/bin/pip", "check"], cwd=clone, env=env)
    if pip_check.returncode != 0:
        raise CheckFailed(f"pip check failed in the clone's venv:\n{pip_check.stdout}")
    # pytest stands for all of requirements-dev.txt: it is the one every dev run needs.
    probe = run([clone / ".venv/bin/python", "-c", "import pytest"], cwd=clone, env=env)
    if probe.returncode == 0:
        raise CheckFailed("pytest is importable in the runtime venv: dev packages leaked in")
    if "No module named 'pytest'" not in probe.stderr:
        raise CheckFailed(f"the runtime venv's python failed oddly:\n{probe.stderr}")


def create_first_admin(clone: Path, env: dict[str, str]) -> None:
    """The README's scripted create-admin, password on stdin."""
    result = run(
        [
            clone / ".venv/bin/python",
            "-m",
            "admin_app",
            "create-admin",
            "--username",
            "ada",
            "--full-name",
            "Ada Lovelace",
            "--email",
            EMAIL,
            "--password-stdin",
        ],
        cwd=clone,
        env=env,
        stdin=PASSWORD + "\n",
        timeout=120,
    )
    if result.returncode != 0:
        raise CheckFailed(
            f"create-admin exited with {result.returncode}:\n{result.stdout}{result.stderr}"
        )


def path_is(path: str) -> re.Pattern[str]:
    """A URL pattern for `path`, with or without Reflex's trailing slash."""
    return re.compile(rf"^http://localhost:\d+{re.escape(path.rstrip('/'))}/?(\?.*)?$")


def newest_code(mailbox: Page, url: str) -> str:
    """The 6-digit code of the newest mail to EMAIL on /dev/mailbox (newest first)."""
    mailbox.goto(f"{url}/dev/mailbox")
    expect(mailbox.get_by_role("heading", name="Development mailbox")).to_be_visible()
    card = mailbox.locator(".mail").filter(has_text=EMAIL).first
    deadline = time.monotonic() + BROWSER_TIMEOUT_MS / 1000
    # The code is mailed before /verify opens, but Refresh costs nothing if it lags.
    while card.count() == 0 and time.monotonic() < deadline:
        mailbox.get_by_role("button", name="Refresh").click()
        mailbox.wait_for_timeout(1000)
    expect(card).to_be_visible()
    # The subject reads "123456 is your Admin sign-in code".
    found = re.search(r"\b\d{6}\b", card.get_by_role("heading").inner_text())
    if found is None:
        raise CheckFailed(f"no 6-digit code in the mail:\n{card.inner_text()}")
    return found.group()


def sign_in_with_code(url: str) -> None:
    """/login, a code from the development mailbox, /verify, the dashboard."""
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.set_default_timeout(BROWSER_TIMEOUT_MS)
            page = context.new_page()
            page.goto(f"{url}/login")
            page.get_by_label("Email or username").fill(EMAIL)
            page.get_by_role("button", name="Continue").click()
            expect(page).to_have_url(path_is("/verify"))

            code = newest_code(context.new_page(), url)
            page.bring_to_front()
            # Digit by digit at a human pace: the sixth submits by itself, and
            # at zero delay the controlled input drops digits.
            page.get_by_label("Verification code").press_sequentially(code, delay=60)
            expect(page).to_have_url(path_is("/"))
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        finally:
            browser.close()


def start_server(clone: Path, env: dict[str, str], log: Path) -> Server:
    """Start `make run` on APP_URL's port, which the build baked in (the restart reuses it)."""
    port = int(env["APP_URL"].rsplit(":", 1)[1])
    if not port_is_free(port):
        raise CheckFailed(f"port {port} is taken: a server from before is still up?")
    return Server(clone, env, log)


def check(workdir: Path, servers: list[Server]) -> str:
    """Every step in order; returns the figures line."""
    root = repository_root()
    clone = workdir / "admin_app"
    started = time.monotonic()
    print(f"cloning {root} (HEAD) into {clone}", flush=True)
    run(["git", "clone", "--quiet", root, clone], check=True)
    env = clean_env((root / ".venv/bin").resolve(), free_port())

    print(f"first `make run` (cold: pip, npm, frontend build), log {workdir}/first-run.log")
    server = start_server(clone, env, workdir / "first-run.log")
    servers.append(server)
    server.wait_until_serving(COLD_START_TIMEOUT)
    first_run = time.monotonic() - started
    print(f"serving on {server.url} after {first_run:.1f} s", flush=True)

    check_runtime_venv(clone, env)
    print("runtime venv: pip check passes, pytest is not installed", flush=True)
    create_first_admin(clone, env)
    print(f"create-admin made {EMAIL}", flush=True)
    sign_in_with_code(server.url)
    print("signed in with the emailed code and reached the dashboard", flush=True)
    server.stop()

    print(f"second `make run` (warm), log {workdir}/restart.log", flush=True)
    server = start_server(clone, env, workdir / "restart.log")
    servers.append(server)
    restart = server.wait_until_serving(WARM_START_TIMEOUT)
    server.stop()
    return f"first run: clone to serving {first_run:.1f} s; restart to serving {restart:.1f} s"


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: run `make system-deps`", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="first-run-check-"))
    servers: list[Server] = []
    passed = False
    try:
        figures = check(workdir, servers)
        passed = True
    except CheckFailed as error:
        print(f"FAILED: {error}", file=sys.stderr)
    except subprocess.CalledProcessError as error:
        print(f"FAILED: {error}\n{error.stderr}", file=sys.stderr)
    except Exception:
        # Playwright's timeouts and failed expectations, with where they happened.
        traceback.print_exc()
    finally:
        for server in servers:
            server.stop()
    if not passed:
        print(f"kept {workdir} for a look", file=sys.stderr)
        return 1
    shutil.rmtree(workdir)
    print(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
