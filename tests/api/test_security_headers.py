"""Every response carries the anti-framing and no-sniff headers."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from admin_app.api.security_headers import SecurityHeaders


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
