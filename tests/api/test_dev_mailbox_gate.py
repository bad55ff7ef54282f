"""/dev/mailbox answers only a developer on this machine; elsewhere it does not exist."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from admin_app.api.dev_mailbox_gate import DevMailboxGate
from admin_app.security.client_ip import is_local_request


def _client(*, enabled: bool, peer: str) -> TestClient:
    app = Starlette(
        routes=[
            Route("/dev/mailbox", lambda _r: PlainTextResponse("codes: 123456")),
            Route("/dev/mailbox.html", lambda _r: PlainTextResponse("codes: 123456")),
            Route("/login", lambda _r: PlainTextResponse("login")),
        ]
    )
    return TestClient(DevMailboxGate(app, enabled=enabled), client=(peer, 50000))


def test_a_local_developer_gets_the_mailbox() -> None:
    client = _client(enabled=True, peer="127.0.0.1")
    assert client.get("/dev/mailbox").text == "codes: 123456"
    assert _client(enabled=True, peer="::1").get("/dev/mailbox").status_code == 200


def test_a_request_from_another_machine_gets_a_404() -> None:
    client = _client(enabled=True, peer="192.0.2.10")
    for path in ["/dev/mailbox", "/dev/mailbox/", "/dev/mailbox.html"]:
        answer = client.get(path)
        assert answer.status_code == 404
        assert "123456" not in answer.text
    assert client.get("/login").status_code == 200


def test_a_request_relayed_by_a_local_proxy_gets_a_404() -> None:
    client = _client(enabled=True, peer="127.0.0.1")
    for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"]:
        answer = client.get("/dev/mailbox", headers={header: "203.0.113.7"})
        assert answer.status_code == 404, header


def test_with_the_mailbox_off_nobody_gets_it() -> None:
    assert _client(enabled=False, peer="127.0.0.1").get("/dev/mailbox").status_code == 404


def test_local_requests() -> None:
    assert is_local_request("127.0.0.1", ["host", "user-agent"])
    assert is_local_request("127.8.9.10", [])
    assert is_local_request("::1", [])
    assert not is_local_request("10.0.0.1", [])
    assert not is_local_request("testclient", [])
    assert not is_local_request("127.0.0.1", ["X-Forwarded-For"])
