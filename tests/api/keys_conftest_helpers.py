"""Shared by the keys, users and audit API tests: signing in, headers, a clean async engine.

tests/api/conftest.py's `api_client` clears the cached settings and sync
engine, but not `admin_app.db._async_engine`, which the access-token path
uses for its PostgreSQL reads: left alone it would keep reading the database
of whichever test built it first. `fresh_async_engine` clears it before and
after a test; the test modules use it as an autouse fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.testclient import TestClient

from admin_app import db as app_db
from tests.conftest import PASSWORD

ApiClient = Callable[..., TestClient]


def _forget_async_engine() -> None:
    if app_db._async_engine.cache_info().currsize:
        engine = app_db._async_engine()
        # Its connections were opened on TestClient loops that are gone; a
        # failed close only means they are already closed.
        with contextlib.suppress(Exception):
            asyncio.run(engine.dispose())
    app_db._async_engine.cache_clear()


def fresh_async_engine() -> Iterator[None]:
    """Body of an autouse fixture: no async engine leaks into or out of a test."""
    _forget_async_engine()
    yield
    _forget_async_engine()


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
