"""Every response carries the anti-framing and no-sniff headers."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from admin_app.api.security_headers import SecurityHeaders
from tests.api.conftest import ApiClient


@pytest.fixture
def client() -> TestClient:
    app = Starlette(routes=[Route("/", lambda _request: PlainTextResponse("hi"))])
    return TestClient(SecurityHeaders(app))


def test_headers_are_added(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_a_missing_route_gets_them_too(client: TestClient) -> None:
    assert client.get("/nowhere").headers["x-frame-options"] == "DENY"


def _app(**options: object) -> TestClient:
    app = Starlette(
        routes=[
            Route(
                "/auth/login",
                lambda _r: PlainTextResponse("token", headers={"cache-control": "max-age=60"}),
            ),
            Route("/api-keys", lambda _r: PlainTextResponse("page")),
            Route("/api-keys-help", lambda _r: PlainTextResponse("page")),
            Route("/", lambda _r: PlainTextResponse("page")),
        ]
    )
    return TestClient(SecurityHeaders(app, **options))  # type: ignore[arg-type]


def test_hsts_only_when_asked() -> None:
    assert "strict-transport-security" not in _app().get("/").headers
    hsts = _app(hsts=True).get("/").headers["strict-transport-security"]
    assert hsts == "max-age=63072000; includeSubDomains"


def test_no_store_on_the_listed_paths_replaces_any_cache_header() -> None:
    client = _app(no_store=("/auth", "/api-keys"))
    assert client.get("/auth/login").headers.get_list("cache-control") == ["no-store"]
    assert client.get("/api-keys").headers["cache-control"] == "no-store"
    assert client.get("/api-keys/").headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/api-keys-help").headers
    assert "cache-control" not in client.get("/").headers


def test_the_api_marks_auth_answers_no_store(api_client: ApiClient) -> None:
    client = api_client()
    answer = client.post("/auth/login", json={"username": "nobody", "password": "x" * 12})
    assert answer.status_code == 401
    assert answer.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in answer.headers
    assert "cache-control" not in client.get("/info").headers


def test_the_api_sends_hsts_when_app_url_is_https(api_client: ApiClient) -> None:
    client = api_client(APP_URL="https://admin.example.org")
    assert client.get("/info").headers["strict-transport-security"].startswith("max-age=")
