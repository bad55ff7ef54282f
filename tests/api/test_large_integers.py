"""Ids and page numbers past what a database column holds are a 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from admin_app.models import User
from tests.conftest import PASSWORD

# On SQLite and PostgreSQL (see tests/conftest.py): out-of-range integers meet each database's
# integer types.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]

HUGE = [2**31, 2**63, 10**30, -(2**63) - 1]
CALLS = [
    ("GET", "/api/users/{n}"),
    ("PATCH", "/api/users/{n}"),
    ("DELETE", "/api/users/{n}"),
    ("POST", "/api/users/{n}/reset-link"),
    ("POST", "/api/users/{n}/unlock"),
    ("DELETE", "/api/keys/{n}"),
    ("GET", "/api/users?page={n}"),
    ("GET", "/api/audit?page={n}"),
    ("GET", "/api/audit?user_id={n}"),
]


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_huge_numbers_are_refused_as_bad_requests(
    api_client: ApiClient, make_user: Callable[..., User], method: str, path: str
) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    login = client.post("/auth/login", json={"username": "root", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for n in HUGE:
        body = {"full_name": "X"} if method == "PATCH" else None
        answer = client.request(method, path.format(n=n), headers=headers, json=body)
        assert 400 <= answer.status_code < 500, (method, path, n, answer.text)
        assert answer.json()["code"] in ("invalid_request", "not_found"), answer.text
