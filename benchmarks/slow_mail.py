"""Sign-ins while the mail server is slow: nothing may wait on it but the mail itself.

Starts a real SMTP server (aiosmtpd) that takes `--delay` seconds a message,
the real app (`python -m admin_app serve`, AUTH_MODE=otp) on SQLite or
PostgreSQL, and sends `--users` concurrent sign-ins (each mails a code), while
another thread reads `/readyz` (a database read on the event loop). Prints how the
sign-ins were answered (target: no 500) and how long the other requests took
meanwhile (target: never the mail's delay).

    .venv/bin/python benchmarks/slow_mail.py [--database-url postgresql://...] [--delay 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "benchmark-secret-" + "m" * 40
PASSWORD = "correct horse battery staple"


class SlowMailbox:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received = 0

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        self.received += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(count: int) -> None:
    from admin_app import migrate
    from admin_app.db import dispose_all, session_scope
    from admin_app.services.accounts import users
    from admin_app.services.request_context import RequestContext
    from admin_app.settings import get_settings

    migrate.upgrade()
    with session_scope() as db:
        for n in range(count + 1):
            users.create_user(
                db,
                settings=get_settings(),
                data=users.NewUser(
                    username=f"user{n}",
                    full_name=f"User {n}",
                    email=f"user{n}@example.com",
                    password=PASSWORD,
                ),
                ctx=RequestContext(),
            )
    dispose_all()


def meanwhile(base: str, stop: threading.Event) -> list[float]:
    """Durations of a database read on the event loop (/readyz) while sign-ins wait on mail."""
    durations = []
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get("/readyz")
            durations.append(time.perf_counter() - started)
            time.sleep(0.05)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--delay", type=float, default=0.5, help="seconds the SMTP server takes")
    parser.add_argument("--users", type=int, default=60)
    args = parser.parse_args()

    mailbox = SlowMailbox(args.delay)
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    data_dir = Path(tempfile.mkdtemp(prefix="admin_app_slow_mail_"))
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "AUTH_MODE": "otp",
        "JWT_SECRET": SECRET,
        "APP_URL": f"http://localhost:{port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_SECURITY": "none",
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    os.environ.update(env)
    (data_dir / "web" / "build" / "client").mkdir(parents=True)
    env["REFLEX_WEB_WORKDIR"] = str(data_dir / "web")  # the API needs no pages
    seed(args.users)

    server = subprocess.Popen(
        [sys.executable, "-m", "admin_app", "serve", f"--port={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        run(base, args, mailbox)
    finally:
        server.terminate()
        server.wait(timeout=10)
        smtp.stop()


def run(base: str, args: argparse.Namespace, mailbox: SlowMailbox) -> None:
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=args.users + 1) as pool:
        others = pool.submit(meanwhile, base, stop)

        def sign_in(n: int) -> tuple[int, float]:
            started = time.perf_counter()
            answer = httpx.post(
                f"{base}/auth/login", json={"email": f"user{n}@example.com"}, timeout=60
            )
            return answer.status_code, time.perf_counter() - started

        started = time.perf_counter()
        results = list(pool.map(sign_in, range(1, args.users + 1)))
        elapsed = time.perf_counter() - started
        stop.set()
        durations = others.result()

    statuses = collections.Counter(status for status, _ in results)
    times = sorted(seconds for _, seconds in results)
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.users} concurrent sign-ins, mail {args.delay} s a message, {database}:")
    print(f"  answers: {dict(sorted(statuses.items()))}; 500s: {statuses.get(500, 0)} (target 0)")
    print(f"  mails received: {mailbox.received}; all answered in {elapsed:.1f} s")
    print(f"  sign-in time: median {statistics.median(times):.2f} s, max {times[-1]:.2f} s")
    if durations:
        print(
            f"  meanwhile /readyz: {len(durations)} requests, median "
            f"{statistics.median(durations) * 1000:.0f} ms, max {max(durations) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
