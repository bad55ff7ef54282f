"""Every error the API gives is `{"detail", "code"}` with a fitting 4xx, never a 500."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from admin_app.models import User
from tests.conftest import PASSWORD
from tests.support.smtp import SmtpServer

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
Travel = Callable[[float], None]
# Requests refused before any query: one database is enough.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SIGNUP = {
    "username": "ada",
    "full_name": "Ada Lovelace",
    "email": "ada@example.com",
    "password": PASSWORD,
}


def _error(answer: Any, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"detail", "code"}, body
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return str(body["detail"])


def test_unknown_user_and_wrong_password_answer_alike(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    for mode in ["password", "password+otp"]:
        # One account per mode: its email and username share one budget of 5.
        name = "ada" if mode == "password" else "bob"
        make_user(username=name, email=f"{name}@example.com")
        client = api_client(mode=mode)
        answers = [
            client.post("/auth/login", json=body)
            for body in [
                {"username": name, "password": "not the password"},
                {"username": f"nobody{name}", "password": "not the password"},
                {"email": f"{name}@example.com", "password": "not the password"},
                {"email": f"nobody{name}@example.com", "password": PASSWORD},
                {"username": name},
            ]
        ]
        for answer in answers:
            _error(answer, 401, "invalid_credentials")
        assert len({answer.text for answer in answers}) == 1
        assert len({tuple(sorted(a.headers.keys())) for a in answers}) == 1


@pytest.mark.both_databases
def test_too_many_failures_give_429_with_retry_after(
    api_client: ApiClient, make_user: MakeUser, travel: Travel
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    for _ in range(5):
        _error(
            client.post("/auth/login", json={"username": "ada", "password": "nope nope nope"}),
            401,
            "invalid_credentials",
        )
    for password in ["nope nope nope", PASSWORD]:
        answer = client.post("/auth/login", json={"username": "ada", "password": password})
        _error(answer, 429, "too_many_attempts")
        assert answer.headers["Retry-After"] == "60"
    # An unknown identifier is held back the same way.
    for _ in range(5):
        client.post("/auth/login", json={"username": "nobody", "password": "x"})
    answer = client.post("/auth/login", json={"username": "nobody", "password": "x"})
    _error(answer, 429, "too_many_attempts")
    assert answer.headers["Retry-After"] in {"59", "60"}

    travel(61)
    assert client.post("/auth/login", json={"username": "ada", "password": PASSWORD}).is_success


def test_code_errors(api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer) -> None:
    client = api_client(mode="otp")
    make_user(username="ada", email="ada@example.com")
    waiting = client.post("/auth/login", json={"username": "ada"}).json()
    code = smtp_server.inbox.code_for("ada@example.com")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    details = [
        _error(
            client.post(
                "/auth/verify-otp",
                json={"otp_session_id": waiting["otp_session_id"], "code": wrong},
            ),
            400,
            "incorrect_code",
        )
        for _ in range(5)
    ]
    assert details[0] == "That code is not right. 4 tries left."
    # The fifth failure also started the identifier's wait.
    _error(
        client.post(
            "/auth/verify-otp", json={"otp_session_id": waiting["otp_session_id"], "code": code}
        ),
        429,
        "too_many_attempts",
    )
    _error(
        client.post("/auth/verify-otp", json={"otp_session_id": "no-such-id", "code": code}),
        400,
        "otp_session_invalid",
    )


def test_an_expired_code_is_400(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer, travel: Travel
) -> None:
    client = api_client(mode="otp")
    make_user(username="ada", email="ada@example.com")
    waiting = client.post("/auth/login", json={"username": "ada"}).json()
    travel(601)
    _error(
        client.post(
            "/auth/verify-otp",
            json={
                "otp_session_id": waiting["otp_session_id"],
                "code": smtp_server.inbox.code_for("ada@example.com"),
            },
        ),
        400,
        "code_expired",
    )


def test_signup_errors(api_client: ApiClient, make_user: MakeUser) -> None:
    make_user(username="ada", email="ada@example.com")
    off = api_client(mode="password", signup=False)
    _error(off.post("/auth/signup", json={**SIGNUP, "username": "bob"}), 403, "signup_disabled")

    client = api_client(mode="password", signup=True)
    detail = _error(
        client.post("/auth/signup", json={**SIGNUP, "email": "other@example.com"}),
        409,
        "username_taken",
    )
    assert detail == "That username is taken."
    _error(
        client.post("/auth/signup", json={**SIGNUP, "username": "bob", "password": "short"}),
        422,
        "weak_password",
    )
    _error(
        client.post("/auth/signup", json={**SIGNUP, "username": "bob", "email": "bob@"}),
        422,
        "invalid_email",
    )
    _error(
        client.post("/auth/signup", json={**SIGNUP, "username": "b o b"}),
        422,
        "invalid_username",
    )


def test_a_disabled_account_is_403(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com", active=False)
    _error(
        client.post("/auth/login", json={"username": "ada", "password": PASSWORD}),
        403,
        "account_disabled",
    )


def test_a_mail_server_that_is_down_is_503(api_client: ApiClient, make_user: MakeUser) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = api_client(mode="otp", SMTP_PORT=closed)
    make_user(username="ada", email="ada@example.com")
    _error(client.post("/auth/login", json={"username": "ada"}), 503, "mail_not_sent")


@sqlite_only
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRhOnB3"},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
)
def test_me_without_a_valid_token_is_401(api_client: ApiClient, headers: dict[str, str]) -> None:
    _error(api_client().get("/auth/me", headers=headers), 401, "not_authenticated")


def test_me_with_a_refresh_token_is_401(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    pair = client.post("/auth/login", json={"username": "ada", "password": PASSWORD}).json()
    answer = client.get("/auth/me", headers={"Authorization": f"Bearer {pair['refresh_token']}"})
    _error(answer, 401, "not_authenticated")


@sqlite_only
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/login", {}),
        ("/auth/login", {"password": PASSWORD}),
        ("/auth/login", {"username": 12345, "password": PASSWORD}),
        ("/auth/login", {"username": ["ada"], "password": PASSWORD}),
        ("/auth/login", {"username": "ada", "password": None, "admin": True}),
        ("/auth/login", {"username": "a" * 321, "password": PASSWORD}),
        ("/auth/login", ["ada", PASSWORD]),
        ("/auth/login", "ada"),
        ("/auth/login", None),
        ("/auth/verify-otp", {"otp_session_id": "x"}),
        ("/auth/verify-otp", {"otp_session_id": "x", "code": 123456}),
        ("/auth/verify-otp", {"otp_session_id": "x" * 65, "code": "123456"}),
        ("/auth/verify-otp", {"otp_session_id": "x", "code": "1" * 17}),
        ("/auth/refresh", {}),
        ("/auth/refresh", {"refresh_token": {"nested": "object"}}),
        ("/auth/refresh", {"refresh_token": "x", "also": "this"}),
        ("/auth/logout", {"token": "x"}),
        ("/auth/signup", {"username": "ada"}),
        ("/auth/signup", {**SIGNUP, "is_admin": True}),
        ("/auth/signup", {**SIGNUP, "full_name": None}),
    ],
)
def test_bodies_of_the_wrong_shape_are_422(api_client: ApiClient, path: str, body: Any) -> None:
    detail = _error(api_client().post(path, json=body), 422, "invalid_request")
    assert detail.startswith("The request is not valid")


@sqlite_only
@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"username": "ada",}',
        b"\xff\xfe\x00",
        b"",
        b"null",
        b"NaN",
        b'{"username": "\\ud800"}',
    ],
)
def test_malformed_json_is_a_4xx(api_client: ApiClient, raw: bytes) -> None:
    answer = api_client().post(
        "/auth/login", content=raw, headers={"Content-Type": "application/json"}
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert set(answer.json()) == {"detail", "code"}


@sqlite_only
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_that_is_not_json_is_a_4xx(api_client: ApiClient, content_type: str) -> None:
    answer = api_client().post(
        "/auth/login",
        content=b'{"username": "ada", "password": "x"}',
        headers={"Content-Type": content_type},
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert set(answer.json()) == {"detail", "code"}


@sqlite_only
def test_an_oversized_body_is_413(api_client: ApiClient) -> None:
    client = api_client()
    big = {"username": "ada", "password": "x" * (64 * 1024 + 1)}
    _error(client.post("/auth/login", json=big), 413, "body_too_large")
    _error(
        client.post(
            "/auth/login",
            content=b"{}",
            headers={"Content-Type": "application/json", "Content-Length": "99999999999"},
        ),
        413,
        "body_too_large",
    )


@sqlite_only
def test_an_oversized_streamed_body_is_413(api_client: ApiClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "ada", "password": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    answer = api_client().post(
        "/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    _error(answer, 413, "body_too_large")


@sqlite_only
def test_unknown_routes_and_methods(api_client: ApiClient) -> None:
    client = api_client()
    _error(client.get("/auth/nowhere"), 404, "not_found")
    _error(client.get("/auth/login"), 405, "method_not_allowed")
    _error(client.delete("/info"), 405, "method_not_allowed")
