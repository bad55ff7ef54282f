"""Sign-up throttled per client address; the owner of a taken email is not flooded;
decoy waits never hold the thread pool (SPEC sections 2, 6 and 11)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from admin_app.mail import outbox
from admin_app.models import User
from admin_app.services.accounts import signup
from tests.api.test_api_limits import PROXY, behind_proxy, from_ip
from tests.support.smtp import SmtpServer

# On SQLite and PostgreSQL (see tests/conftest.py): parallel sign-ups and decoys against the
# budgets and the pools.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
PASSWORD = "a long enough passphrase 42"


def _body(n: int, email: str | None = None) -> dict[str, str]:
    return {
        "username": f"new{n}",
        "full_name": "New Person",
        "email": email or f"new{n}@example.com",
        "password": PASSWORD,
    }


def test_sign_ups_are_throttled_per_address(api_client: ApiClient) -> None:
    client = behind_proxy(api_client(mode="password", TRUSTED_PROXIES=PROXY))
    statuses = [
        client.post("/auth/signup", json=_body(n), headers=from_ip("198.51.100.9")).status_code
        for n in range(60)
    ]
    print(f"\nof 60 sign-ups from one address, {statuses.count(200)} were accepted")
    assert statuses.count(200) == signup.SIGNUPS_PER_HOUR
    assert set(statuses[signup.SIGNUPS_PER_HOUR :]) == {429}
    # The same /64 is the same client; another address is not held back.
    other = client.post("/auth/signup", json=_body(99), headers=from_ip("198.51.100.10"))
    assert other.status_code == 200
    # A taken username cannot be asked about past the budget either.
    probe = client.post("/auth/signup", json=_body(0), headers=from_ip("198.51.100.9"))
    assert probe.status_code == 429


def test_the_owner_of_a_taken_email_gets_few_mails(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    client = behind_proxy(api_client(mode="otp", TRUSTED_PROXIES=PROXY))
    make_user(username="ada", email="ada@example.com")
    for n in range(20):
        answer = client.post(
            "/auth/signup",
            json=_body(n, email="ada@example.com"),
            headers=from_ip(f"198.51.100.{n + 1}"),
        )
        assert answer.status_code == 200, answer.text
    smtp_server.inbox.wait_for("ada@example.com")
    time.sleep(0.3)
    mailed = len(smtp_server.inbox.to("ada@example.com"))
    print(f"\n20 sign-ups with a taken email mailed its owner {mailed} times")
    assert mailed == 1


def test_both_sign_up_branches_hash_once(
    api_client: ApiClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    hashed: list[str] = []
    real = signup.passwords

    class Counting:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def hash(self, password: str) -> str:
            hashed.append(password)
            return str(self.inner.hash(password))

    monkeypatch.setattr(signup, "passwords", lambda settings: Counting(real(settings)))
    assert client.post("/auth/signup", json=_body(1)).status_code == 200
    assert client.post("/auth/signup", json=_body(2, email="ada@example.com")).status_code == 200
    assert len(hashed) == 2


def test_decoy_waits_do_not_hold_the_thread_pool(
    api_client: ApiClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api_client(mode="otp")
    make_user(username="ada", email="ada@example.com")
    client.post("/auth/login", json={"email": "ada@example.com"})  # warm up
    monkeypatch.setattr(outbox.send_timer, "_average", 2.0)
    started = threading.Event()

    def decoy(n: int) -> int:
        started.set()
        return client.post("/auth/login", json={"email": f"nobody{n}@example.com"}).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        decoys = [pool.submit(decoy, n) for n in range(40)]
        started.wait()
        time.sleep(0.5)  # the forty are waiting now
        t0 = time.perf_counter()
        real = client.post("/auth/login", json={"username": "ada"})
        took = time.perf_counter() - t0
        assert [d.result() for d in decoys] == [200] * 40
    print(f"\na real sign-in beside 40 waiting decoys took {took:.2f} s")
    assert real.status_code == 200
    assert took < 1.0


def test_sign_ups_with_someones_email_do_not_spend_their_sign_in_codes(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    client = behind_proxy(api_client(mode="otp", TRUSTED_PROXIES=PROXY))
    make_user(username="ada", email="ada@example.com")
    for n in range(25):
        client.post(
            "/auth/signup",
            json=_body(n, email="ada@example.com"),
            headers=from_ip(f"198.51.100.{n + 1}"),
        )
    owner = client.post(
        "/auth/login", json={"email": "ada@example.com"}, headers=from_ip("203.0.113.50")
    )
    assert owner.status_code == 200, owner.text
    code = smtp_server.inbox.code_for("ada@example.com", count=2)  # the sign-up notice, then this
    done = client.post(
        "/auth/verify-otp", json={"otp_session_id": owner.json()["otp_session_id"], "code": code}
    )
    assert done.status_code == 200, done.text
