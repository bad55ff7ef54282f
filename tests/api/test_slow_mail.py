"""A mail on its way holds no database lock: other writes go on meanwhile.

SQLite has one writer; a sign-in that kept its write transaction open while
the SMTP server took its time made every other write in the app wait (and
answer 500 "database is locked" after the busy timeout). Here the mail server
holds the first mail until the test lets it go.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from admin_app.models import User
from tests.support.postgres import free_port

# On SQLite and PostgreSQL (see tests/conftest.py): concurrent writes while a mail is held: SQLite
# has one writer.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]


class HeldMail:
    """An SMTP server that keeps each message until `release` is set."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        self.arrived.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        return "250 OK"


@pytest.fixture
def held() -> Iterator[tuple[HeldMail, int]]:
    handler = HeldMail()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    handler.release.set()
    controller.stop()


def test_writes_go_on_while_a_mail_is_held(
    api_client: ApiClient, make_user: Callable[..., User], held: tuple[HeldMail, int]
) -> None:
    handler, port = held
    client = api_client(mode="otp", SMTP_PORT=str(port))
    make_user(username="ada", email="ada@example.com")
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(client.post, "/auth/login", json={"email": "ada@example.com"})
        assert handler.arrived.wait(10), "the first mail never reached the server"
        # Writes while that mail is held: a code row and its budgets (a decoy,
        # no mail), and a failed sign-in's counters.
        for body in [{"email": "nobody@example.com"}, {"username": "ghost"}]:
            other = pool.submit(client.post, "/auth/login", json=body)
            answer = other.result(timeout=5)  # the busy timeout is 10 s
            assert answer.status_code == 200, answer.text
        assert not first.done()
        handler.release.set()
        assert first.result(timeout=10).json()["status"] == "otp_required"
