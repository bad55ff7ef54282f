"""Shared by the keys, users and audit API tests: signing in and headers.

(`api_client`, in conftest.py, drops the hot reads' pools and connections
before each client and after each test.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD

ApiClient = Callable[..., TestClient]


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def api_key(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """The token pair of a password sign-in (password mode)."""
    answer = client.post("/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ok"
    return dict(body)


def token(client: TestClient, username: str) -> dict[str, str]:
    """Bearer headers carrying a fresh access token of `username`."""
    return bearer(login(client, username)["access_token"])


def error(answer: Any, status: int, code: str) -> str:
    """Assert an error answer of the documented shape; its detail."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"detail", "code"}, body
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return str(body["detail"])
