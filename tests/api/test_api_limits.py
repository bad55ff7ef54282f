"""Limits taken before the work, through the API, as an attacker would (SPEC sections 1, 6, 11).

Each race prints its figure (`-s` shows it): how many attempts reached the
password check or the mailbox.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app.models import AuditEvent, OneTimeCode, User
from tests.api import keys_conftest_helpers as h
from tests.conftest import PASSWORD
from tests.support.smtp import SmtpServer

# On SQLite and PostgreSQL (see tests/conftest.py): parallel requests against the budgets'
# dialect-specific upserts.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
Travel = Callable[[float], None]
PROXY = "10.9.9.9"
WRONG = "not the password at all"


def race(n: int, call: Callable[[], Any]) -> list[Any]:
    start = threading.Barrier(n)

    def run(_: int) -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def behind_proxy(client: TestClient) -> TestClient:
    """A client whose requests come through a trusted proxy, so each can name its address."""
    return TestClient(client.app, client=(PROXY, 40000))


def from_ip(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def events(engine: Engine, kind: str) -> list[AuditEvent]:
    with Session(engine) as fresh:
        return list(fresh.exec(select(AuditEvent).where(AuditEvent.kind == kind)).all())


def live_minted_codes(engine: Engine, email: str) -> int:
    with Session(engine) as fresh:
        rows = fresh.exec(
            select(OneTimeCode).where(
                OneTimeCode.email == email,
                col(OneTimeCode.consumed_at).is_(None),
                OneTimeCode.code_hmac != "",  # not a share of another row's code
            )
        ).all()
    return len(rows)


def test_thirty_parallel_wrong_passwords_check_five(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")

    answers = race(
        30, lambda: client.post("/auth/login", json={"username": "ada", "password": WRONG})
    )

    statuses = [a.status_code for a in answers]
    checked = len(events(engine, "signin.failed"))
    print(f"\nof 30 parallel wrong passwords, {checked} were checked against the password")
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 25, statuses
    assert checked == 5
    assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 429)
    # Now even the right password waits, exactly as after 5 serial failures.
    right = client.post("/auth/login", json={"username": "ada", "password": PASSWORD})
    assert right.status_code == 429


def test_email_and_username_share_one_budget(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    for _ in range(5):
        wrong = client.post("/auth/login", json={"username": "ada", "password": WRONG})
        assert wrong.status_code == 401
    by_email = client.post("/auth/login", json={"email": "ADA@example.com", "password": WRONG})
    assert by_email.status_code == 429, by_email.text
    # An unknown identifier has its own budget, the same shape: nothing is revealed.
    for _ in range(5):
        assert (
            client.post("/auth/login", json={"username": "nobody", "password": WRONG}).status_code
            == 401
        )
    assert (
        client.post("/auth/login", json={"username": "nobody", "password": WRONG}).status_code
        == 429
    )


def test_ipv6_addresses_count_per_64(api_client: ApiClient, make_user: MakeUser) -> None:
    client = behind_proxy(api_client(mode="password", TRUSTED_PROXIES=PROXY))
    for n in range(10):
        answer = client.post(
            "/auth/login",
            json={"username": f"nobody{n}", "password": WRONG},
            headers=from_ip(f"2001:db8:1:2::{n + 1:x}"),
        )
        assert answer.status_code == 401
    same_64 = client.post(
        "/auth/login",
        json={"username": "someone", "password": WRONG},
        headers=from_ip("2001:db8:1:2:ffff::1"),
    )
    assert same_64.status_code == 429
    other_64 = client.post(
        "/auth/login",
        json={"username": "someone", "password": WRONG},
        headers=from_ip("2001:db8:1:3::1"),
    )
    assert other_64.status_code == 401


def test_a_hundred_failures_lock_the_account_until_an_admin_unlocks(
    api_client: ApiClient, engine: Engine, make_user: MakeUser, travel: Travel
) -> None:
    client = behind_proxy(api_client(mode="password", TRUSTED_PROXIES=PROXY))
    make_user(username="root", email="root@example.com", admin=True)
    ada = make_user(username="ada", email="ada@example.com")
    for n in range(100):
        answer = client.post(
            "/auth/login",
            json={"username": "ada", "password": WRONG},
            headers=from_ip(f"198.51.{n // 200}.{n % 200 + 1}"),
        )
        assert answer.status_code == 401, (n, answer.text)
        travel(16 * 60)  # past every wait: only the ceiling is left
    right = client.post("/auth/login", json={"username": "ada", "password": PASSWORD})
    assert right.status_code == 429
    assert "locked" in right.json()["detail"]
    travel(24 * 3600)
    assert (
        client.post("/auth/login", json={"username": "ada", "password": PASSWORD}).status_code
        == 429
    )

    root = h.token(client, "root")
    listed = client.get("/api/users", params={"search": "ada"}, headers=root).json()["items"]
    assert [u["locked"] for u in listed if u["id"] == ada.id] == [True]
    assert client.get(f"/api/users/{ada.id}", headers=root).json()["locked"] is True
    ada_token = h.token(client, "root")  # any caller without users:write is refused
    make_user(username="bob", email="bob@example.com")
    bob = h.token(client, "bob")
    assert client.post(f"/api/users/{ada.id}/unlock", headers=bob).status_code == 403
    unlocked = client.post(f"/api/users/{ada.id}/unlock", headers=ada_token)
    assert unlocked.status_code == 200 and unlocked.json()["locked"] is False
    assert len(events(engine, "user.unlocked")) == 1
    assert (
        client.post("/auth/login", json={"username": "ada", "password": PASSWORD}).status_code
        == 200
    )


def test_twenty_parallel_otp_logins_mail_one_code(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="otp")
    make_user(username="ada", email="ada@example.com")

    answers = race(20, lambda: client.post("/auth/login", json={"email": "ada@example.com"}))

    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers]
    smtp_server.inbox.wait_for("ada@example.com")
    mailed = len(smtp_server.inbox.to("ada@example.com"))
    print(f"\n20 parallel otp sign-ins for one address mailed {mailed} codes")
    assert mailed == 1
    # Every one of the twenty flows finishes with the one code that was mailed.
    code = smtp_server.inbox.code_for("ada@example.com")
    last = answers[-1].json()["otp_session_id"]
    done = client.post("/auth/verify-otp", json={"otp_session_id": last, "code": code})
    assert done.status_code == 200, done.text


def test_parallel_resends_of_one_sign_in_mint_one_code(
    api_client: ApiClient, engine: Engine, make_user: MakeUser, travel: Travel
) -> None:
    client = api_client(mode="otp")
    make_user(username="ada", email="ada@example.com")
    waiting = client.post("/auth/login", json={"email": "ada@example.com"}).json()
    travel(61)

    answers = race(
        10,
        lambda: client.post("/auth/resend-otp", json={"otp_session_id": waiting["otp_session_id"]}),
    )

    statuses = [a.status_code for a in answers]
    live = live_minted_codes(engine, "ada@example.com")
    print(f"\n10 parallel resends of one sign-in left {live} live codes")
    assert statuses.count(200) == 1, [a.text for a in answers]
    assert live == 1


def test_strangers_cannot_lock_the_owner_out_of_codes(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer, travel: Travel
) -> None:
    client = behind_proxy(api_client(mode="otp", TRUSTED_PROXIES=PROXY))
    make_user(username="ada", email="ada@example.com")
    stranger = from_ip("198.51.100.66")
    for _ in range(8):
        assert (
            client.post(
                "/auth/login", json={"email": "ada@example.com"}, headers=stranger
            ).status_code
            == 200
        )
        travel(61)
        # Resends from the stranger mint codes, but only from the stranger's budget.
    flows = [
        client.post("/auth/login", json={"email": "ada@example.com"}, headers=stranger).json()
        for _ in range(2)
    ]
    refused = 0
    for flow in flows:
        session_id = flow["otp_session_id"]
        for _ in range(6):
            again = client.post(
                "/auth/resend-otp", json={"otp_session_id": session_id}, headers=stranger
            )
            if again.status_code == 200:
                session_id = again.json()["otp_session_id"]
            else:
                assert again.json()["code"] == "too_many_attempts"
                refused += 1
            travel(61)
    assert refused == 8  # 1 start + 4 resends: the stranger's 5 an hour
    before = len(smtp_server.inbox.to("ada@example.com"))
    owner = client.post(
        "/auth/login", json={"email": "ada@example.com"}, headers=from_ip("203.0.113.50")
    )
    assert owner.status_code == 200, owner.text
    travel(61)
    resent = client.post(
        "/auth/resend-otp",
        json={"otp_session_id": owner.json()["otp_session_id"]},
        headers=from_ip("203.0.113.50"),
    )
    assert resent.status_code == 200, resent.text
    mails = smtp_server.inbox.to("ada@example.com")
    print(f"\nstrangers' 8 starts and 12 resends mailed the owner {before} codes")
    assert before == 5
    code = smtp_server.inbox.code_for("ada@example.com", count=len(mails))
    done = client.post(
        "/auth/verify-otp",
        json={"otp_session_id": resent.json()["otp_session_id"], "code": code},
        headers=from_ip("203.0.113.50"),
    )
    assert done.status_code == 200, done.text
