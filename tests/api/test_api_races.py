"""Concurrent requests through the whole API: rotation and codes hold under a race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin_app.models import RefreshToken, User
from tests.conftest import PASSWORD
from tests.support.smtp import SmtpServer

# On SQLite and PostgreSQL (see tests/conftest.py): concurrent requests racing for one row.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
RACERS = 20


def _race(call: Callable[[], Any]) -> list[Any]:
    start = threading.Barrier(RACERS)

    def run(_: int) -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(run, range(RACERS)))


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_twenty_concurrent_refreshes_get_one_successor(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    first = client.post("/auth/login", json={"username": "ada", "password": PASSWORD}).json()

    answers = _race(
        lambda: client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    )

    assert [a.status_code for a in answers] == [200] * RACERS, [a.text for a in answers]
    successors = {_claims(a.json()["refresh_token"])["jti"] for a in answers}
    assert len(successors) == 1
    (successor,) = successors
    with Session(engine) as fresh:
        rows = fresh.exec(select(RefreshToken)).all()
    assert len(rows) == 2  # the original and its one successor
    by_id = {row.id: row for row in rows}
    original = by_id[_claims(first["refresh_token"])["jti"]]
    assert original.replaced_by == successor
    assert by_id[successor].used_at is None
    assert all(row.revoked_at is None for row in rows)

    # Every access token handed out works, and the successor rotates on.
    for answer in answers[:3]:
        me = client.get(
            "/auth/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
        )
        assert me.status_code == 200
    onward = client.post(
        "/auth/refresh", json={"refresh_token": answers[0].json()["refresh_token"]}
    )
    assert onward.status_code == 200


def test_twenty_concurrent_verifications_of_one_code_sign_in_once(
    api_client: ApiClient, engine: Engine, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="otp")
    make_user(username="ada", email="ada@example.com")
    waiting = client.post("/auth/login", json={"username": "ada"}).json()
    body = {
        "otp_session_id": waiting["otp_session_id"],
        "code": smtp_server.inbox.code_for("ada@example.com"),
    }

    answers = _race(lambda: client.post("/auth/verify-otp", json=body))

    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1, [a.text for a in answers]
    # The losers find the code spent (or, if enough of them counted as failures first,
    # the identifier held back): never a 500, never a second sign-in.
    assert set(statuses) <= {200, 400, 429}
    losers = {a.json()["code"] for a in answers if a.status_code != 200}
    assert losers <= {"otp_session_invalid", "code_used_up", "too_many_attempts"}
    with Session(engine) as fresh:
        assert len(fresh.exec(select(RefreshToken)).all()) == 1
