"""A database that does not answer: 503 with Retry-After, one log line, never a 500."""

from __future__ import annotations

import logging
import socket

import pytest

from admin_app.api import errors
from tests.api.conftest import ApiClient


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def down(api_client: ApiClient, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An API whose PostgreSQL is gone: nothing listens on its port."""
    monkeypatch.setitem(errors._outage, "logged_at", -errors.OUTAGE_LOG_EVERY_SECONDS)
    monkeypatch.setitem(errors._outage, "refused", 0)
    url = f"postgresql+psycopg://admin:x@127.0.0.1:{_closed_port()}/admin?connect_timeout=2"
    return api_client(DATABASE_URL=url)


def test_every_request_gets_503_with_retry_after(down, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.ERROR)
    answers = [
        down.post("/auth/login", json={"username": "ada", "password": "x" * 12}),
        down.get("/api/users", headers={"X-API-Key": "ak_abcdef12_" + "x" * 32}),
        down.get("/auth/me", headers={"X-API-Key": "ak_abcdef12_" + "x" * 32}),
        down.post("/auth/login", json={"username": "ada", "password": "x" * 12}),
    ]
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "database_unavailable"
        assert answer.headers["retry-after"] == str(errors.DATABASE_RETRY_SECONDS)
    # One line for the outage, no tracebacks, no SQL parameters.
    lines = [r for r in caplog.records if r.name == errors.log.name]
    assert len(lines) == 1
    assert lines[0].exc_info is None
    assert "ada" not in caplog.text
