"""The last active Admin survives concurrent demotions and disablings (SPEC section 9),
on SQLite (the embedded default, which ignores FOR UPDATE) as on PostgreSQL.

Each racer is held for a moment after it has looked at the user's roles, so
both have read "two Admins" before either writes: the window a real race
needs, every run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app.models import User
from admin_app.services.accounts import users
from tests.api import keys_conftest_helpers as h

# On SQLite and PostgreSQL (see tests/conftest.py): the last-Admin rule under concurrent requests
# (row locks on PostgreSQL).
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
HOLD_SECONDS = 0.3


@pytest.fixture
def slow_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    real = users.role_names

    def held(session: Session, user_id: int) -> list[str]:
        names = real(session, user_id)
        time.sleep(HOLD_SECONDS)
        return names

    monkeypatch.setattr(users, "role_names", held)


def _race(client: TestClient, *calls: Callable[[], Any]) -> list[Any]:
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait()
        return call()

    # One event loop for both requests: outside `with`, each request gets a
    # loop of its own, and PostgreSQL's async reads cannot share a pool across loops.
    with client, ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _active_admins(engine: Engine) -> list[str]:
    with Session(engine) as fresh:
        people = fresh.exec(select(User).where(col(User.is_active).is_(True))).all()
        return sorted(u.username for u in people if "Admin" in users.role_names(fresh, u.id or 0))


def _two_admins(
    client: TestClient, make_user: MakeUser
) -> tuple[User, User, dict[str, str], dict[str, str]]:
    first = make_user(username="first", admin=True)
    second = make_user(username="second", admin=True)
    return first, second, h.token(client, "first"), h.token(client, "second")


def _outcome(answers: list[Any]) -> list[int]:
    for answer in answers:
        if answer.status_code != 200:
            h.error(answer, 409, "last_admin")
    return sorted(a.status_code for a in answers)


def test_two_admins_demoting_each_other_at_once_leave_one(
    api_client: ApiClient, engine: Engine, make_user: MakeUser, slow_reads: None
) -> None:
    client = api_client()
    first, second, first_auth, second_auth = _two_admins(client, make_user)
    answers = _race(
        client,
        lambda: client.patch(
            f"/api/users/{second.id}", json={"is_admin": False}, headers=first_auth
        ),
        lambda: client.patch(
            f"/api/users/{first.id}", json={"is_admin": False}, headers=second_auth
        ),
    )
    # Before, on SQLite: [200, 200], and no Admin was left.
    assert _outcome(answers) == [200, 409], [a.text for a in answers]
    assert len(_active_admins(engine)) == 1


def test_a_demotion_and_a_disabling_at_once_leave_one(
    api_client: ApiClient, engine: Engine, make_user: MakeUser, slow_reads: None
) -> None:
    client = api_client()
    first, second, first_auth, second_auth = _two_admins(client, make_user)
    answers = _race(
        client,
        lambda: client.patch(
            f"/api/users/{second.id}", json={"is_admin": False}, headers=first_auth
        ),
        lambda: client.patch(
            f"/api/users/{first.id}", json={"is_active": False}, headers=second_auth
        ),
    )
    demoting, disabling = answers
    if demoting.status_code == 401:
        # The disabling committed before the demoting request's credential
        # was checked: a disabled admin acts no more, which is right too.
        h.error(demoting, 401, "not_authenticated")
        assert disabling.status_code == 200
    else:
        assert _outcome(answers) == [200, 409], [a.text for a in answers]
    assert len(_active_admins(engine)) == 1


def test_two_admins_deleting_each_other_at_once_leave_one(
    api_client: ApiClient, engine: Engine, make_user: MakeUser, slow_reads: None
) -> None:
    client = api_client()
    first, second, first_auth, second_auth = _two_admins(client, make_user)
    answers = _race(
        client,
        lambda: client.delete(f"/api/users/{second.id}", headers=first_auth),
        lambda: client.delete(f"/api/users/{first.id}", headers=second_auth),
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([204, 409], [204, 401]), [a.text for a in answers]
    assert len(_active_admins(engine)) == 1
