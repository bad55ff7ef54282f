"""The REST API under test: a TestClient over `build_api()`, configured through the environment.

The API reads its settings and engines through process-wide caches
(`get_settings`, `get_engine`, and the async engine of the PostgreSQL read
path), as it does in production; each client here sets the environment,
clears those caches, and clears them again afterwards.
The database is the migrated, parametrised `database_url` of tests/conftest.py,
so every API test runs on SQLite and on PostgreSQL, and `make_user` and
`engine` see the same database as the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from admin_app import hot_reads
from admin_app.api.app import build_api
from admin_app.db import get_engine
from admin_app.settings import get_settings
from tests.conftest import CHEAP_ARGON2, TEST_SECRET
from tests.support.smtp import SmtpServer

ApiClient = Callable[..., TestClient]

# Variables the API reads that a developer's shell might carry into the run.
_CLEARED = (
    "APP_ENV",
    "MFA_REQUIRED",
    "EMAIL_CODE_ALWAYS",
    "TRUST_BROWSER_DAYS",
    "REAUTH_MINUTES",
    "APP_URL",
    "REDIS_URL",
    "TRUSTED_PROXIES",
    "OTP_TTL_SECONDS",
    "ACCESS_TOKEN_TTL_SECONDS",
    "REFRESH_TOKEN_TTL_SECONDS",
    "REFRESH_REUSE_GRACE_SECONDS",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
    "MICROSOFT_CLIENT_ID",
    "MICROSOFT_CLIENT_SECRET",
)


def _forget_engines() -> None:
    """Drop the cached engine and the hot reads' connections and pools."""
    get_engine.cache_clear()
    hot_reads.forget()


@pytest.fixture
def api_client(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    smtp_server: SmtpServer,
) -> Iterator[ApiClient]:
    """`api_client(mode="otp", signup=True, **ENV)`: a client of a freshly configured API."""
    engines: list[Engine] = []
    clients: list[TestClient] = []

    def build(mode: str = "password", signup: bool = True, **env: Any) -> TestClient:
        for name in _CLEARED:
            monkeypatch.delenv(name, raising=False)
        values = {
            "DATA_DIR": str(tmp_path / "data"),
            "JWT_SECRET": TEST_SECRET,
            "DATABASE_URL": database_url,
            "AUTH_MODE": mode,
            "SIGNUP_ENABLED": "true" if signup else "false",
            **smtp_server.env,
            **CHEAP_ARGON2,
            **{name: str(value) for name, value in env.items()},
        }
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        _forget_engines()
        engines.append(get_engine())
        client = TestClient(build_api())
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
    _forget_engines()
    for engine in engines:
        engine.dispose()
    get_settings.cache_clear()
