"""The auth API of SPEC section 6: the answers' exact shapes, end to end with real mail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin_app import __version__
from admin_app.models import RefreshToken, User
from admin_app.services.access.permissions import names as catalogue_names
from tests.conftest import PASSWORD
from tests.support.smtp import SmtpServer

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
Travel = Callable[[float], None]

PAIR_KEYS = {"status", "access_token", "refresh_token", "token_type", "expires_in"}
OTP_KEYS = {
    "status",
    "otp_session_id",
    "expires_in",
    "sent_to",
    "resend_in",
    "methods",
    "code_mailed",
}
ME_KEYS = {"id", "username", "full_name", "email", "mfa_enabled", "roles", "permissions"}


def _pair(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == PAIR_KEYS
    assert (body["status"], body["token_type"], body["expires_in"]) == ("ok", "bearer", 900)
    assert body["access_token"] != body["refresh_token"]
    return dict(body)


def _otp_required(answer: Any, expires_in: int = 600) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == OTP_KEYS
    assert (body["status"], body["expires_in"], body["resend_in"]) == (
        "otp_required",
        expires_in,
        60,
    )
    assert isinstance(body["otp_session_id"], str) and body["otp_session_id"]
    # Users without an authenticator app: the mailed code is the only way.
    assert (body["methods"], body["code_mailed"]) == (["email"], True)
    return dict(body)


def _me(client: TestClient, access_token: str) -> dict[str, Any]:
    answer = client.get("/auth/me", headers={"Authorization": f"Bearer {access_token}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == ME_KEYS
    return dict(body)


def _jti(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def test_info(api_client: ApiClient) -> None:
    assert api_client(mode="otp", signup=True).get("/info").json() == {
        "auth_mode": "otp",
        "signup_enabled": True,
        "oauth_providers": [],
        "version": __version__,
    }
    client = api_client(
        mode="password+otp",
        signup=False,
        GITHUB_CLIENT_ID="id",
        GITHUB_CLIENT_SECRET="secret",
    )
    answer = client.get("/info")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "auth_mode": "password+otp",
        "signup_enabled": False,
        "oauth_providers": ["github"],
        "version": __version__,
    }


@pytest.mark.both_databases
def test_password_login_gives_the_pair_and_me_describes_the_caller(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client(mode="password")
    user = make_user(username="ada", email="ada@example.com", full_name="Ada Lovelace")
    admin = make_user(username="root", email="root@example.com", admin=True)

    for body in [
        {"username": "ada", "password": PASSWORD},
        {"username": "ADA", "password": PASSWORD},
        {"email": "Ada@Example.com", "password": PASSWORD},
    ]:
        pair = _pair(client.post("/auth/login", json=body))
        assert _me(client, pair["access_token"]) == {
            "id": user.id,
            "username": "ada",
            "full_name": "Ada Lovelace",
            "email": "ada@example.com",
            "mfa_enabled": False,
            "roles": ["User"],
            "permissions": ["api_keys:write"],
        }

    root = _pair(client.post("/auth/login", json={"username": "root", "password": PASSWORD}))
    me = _me(client, root["access_token"])
    assert (me["id"], me["roles"], me["permissions"]) == (
        admin.id,
        ["Admin", "User"],
        sorted(catalogue_names()),
    )


def test_otp_login_then_verify(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="otp")
    user = make_user(username="ada", email="ada@example.com")
    waiting = _otp_required(client.post("/auth/login", json={"username": "ada"}))
    assert waiting["sent_to"] == "the email address of that account"  # tells nothing
    mail = smtp_server.inbox.wait_for("ada@example.com")
    assert "sign-in" in str(mail["Subject"])

    pair = _pair(
        client.post(
            "/auth/verify-otp",
            json={
                "otp_session_id": waiting["otp_session_id"],
                "code": smtp_server.inbox.code_for("ada@example.com"),
            },
        )
    )
    me = _me(client, pair["access_token"])
    assert me["id"] == user.id
    assert me["mfa_enabled"] is True  # every sign-in needs a code in this mode


@pytest.mark.parametrize(("mode", "mfa"), [("password", True), ("password+otp", False)])
def test_password_then_code(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer, mode: str, mfa: bool
) -> None:
    client = api_client(mode=mode, OTP_TTL_SECONDS=300)
    user = make_user(username="ada", email="ada@example.com", mfa=mfa)
    waiting = _otp_required(
        client.post("/auth/login", json={"email": "ada@example.com", "password": PASSWORD}),
        expires_in=300,
    )
    assert "verification" in str(smtp_server.inbox.wait_for("ada@example.com")["Subject"])
    code = smtp_server.inbox.code_for("ada@example.com")
    pair = _pair(
        client.post(
            "/auth/verify-otp", json={"otp_session_id": waiting["otp_session_id"], "code": code}
        )
    )
    assert _me(client, pair["access_token"])["id"] == user.id
    # The code worked once.
    again = client.post(
        "/auth/verify-otp", json={"otp_session_id": waiting["otp_session_id"], "code": code}
    )
    assert again.status_code == 400
    assert again.json()["code"] == "otp_session_invalid"


def test_a_half_finished_login_issues_no_token(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client(mode="password+otp")
    make_user(username="ada", email="ada@example.com")
    _otp_required(client.post("/auth/login", json={"username": "ada", "password": PASSWORD}))
    with Session(engine) as fresh:
        assert fresh.exec(select(RefreshToken)).all() == []


@pytest.mark.both_databases
def test_refresh_rotates_and_logout_ends_the_family(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    first = _pair(client.post("/auth/login", json={"username": "ada", "password": PASSWORD}))
    second = _pair(client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}))
    assert second["refresh_token"] != first["refresh_token"]
    _me(client, second["access_token"])

    # A client that raced the first refresh gets the same successor.
    replay = _pair(client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}))
    assert _jti(replay["refresh_token"]) == _jti(second["refresh_token"])

    out = client.post("/auth/logout", json={"refresh_token": second["refresh_token"]})
    assert out.status_code == 204
    assert out.content == b""
    for token in (first["refresh_token"], second["refresh_token"]):
        dead = client.post("/auth/refresh", json={"refresh_token": token})
        assert dead.status_code == 401
        assert dead.json() == {
            "detail": "The refresh token is not valid. Sign in again.",
            "code": "invalid_refresh_token",
        }
    # Logging out twice, or with nonsense, is still 204.
    assert client.post("/auth/logout", json={"refresh_token": "nonsense"}).status_code == 204


def test_a_replay_after_the_grace_window_ends_the_family(
    api_client: ApiClient, make_user: MakeUser, travel: Travel
) -> None:
    client = api_client(mode="password", REFRESH_REUSE_GRACE_SECONDS=5)
    make_user(username="ada", email="ada@example.com")
    first = _pair(client.post("/auth/login", json={"username": "ada", "password": PASSWORD}))
    second = _pair(client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}))
    travel(6)
    for token in (first["refresh_token"], second["refresh_token"]):
        answer = client.post("/auth/refresh", json={"refresh_token": token})
        assert answer.status_code == 401
        assert answer.json()["code"] == "invalid_refresh_token"


@pytest.mark.parametrize("mode", ["otp", "password", "password+otp"])
def test_signup_then_verify_creates_the_account(
    api_client: ApiClient, engine: Engine, smtp_server: SmtpServer, mode: str
) -> None:
    client = api_client(mode=mode, signup=True)
    body = {"username": "ada", "full_name": " Ada  Lovelace ", "email": "Ada@Example.com"}
    if mode != "otp":
        body["password"] = PASSWORD
    waiting = _otp_required(client.post("/auth/signup", json=body))
    assert waiting["sent_to"] == "a•••a@example.com"
    with Session(engine) as fresh:
        assert fresh.exec(select(User)).all() == []
    assert "sign-up" in str(smtp_server.inbox.wait_for("ada@example.com")["Subject"])

    pair = _pair(
        client.post(
            "/auth/verify-otp",
            json={
                "otp_session_id": waiting["otp_session_id"],
                "code": smtp_server.inbox.code_for("ada@example.com"),
            },
        )
    )
    me = _me(client, pair["access_token"])
    assert (me["username"], me["full_name"], me["email"], me["roles"]) == (
        "ada",
        "Ada Lovelace",
        "ada@example.com",
        ["User"],
    )
    with Session(engine) as fresh:
        (user,) = fresh.exec(select(User)).all()
    assert (user.password_hash is None) == (mode == "otp")


def test_signup_with_a_taken_email_answers_like_a_fresh_one(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    fresh = _otp_required(
        client.post(
            "/auth/signup",
            json={
                "username": "grace",
                "full_name": "Grace Hopper",
                "email": "grace@example.com",
                "password": PASSWORD,
            },
        )
    )
    taken = _otp_required(
        client.post(
            "/auth/signup",
            json={
                "username": "mallory",
                "full_name": "Mallory",
                "email": "ada@example.com",
                "password": PASSWORD,
            },
        )
    )
    assert {k: v for k, v in fresh.items() if k not in ("otp_session_id", "sent_to")} == {
        k: v for k, v in taken.items() if k not in ("otp_session_id", "sent_to")
    }
    (notice,) = smtp_server.inbox.to("ada@example.com")
    assert "already has an account" in smtp_server.inbox.text(notice)


def test_resend_otp(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer, travel: Travel
) -> None:
    client = api_client(mode="otp")
    make_user(username="ada", email="ada@example.com")
    first = _otp_required(client.post("/auth/login", json={"username": "ada"}))
    early = client.post("/auth/resend-otp", json={"otp_session_id": first["otp_session_id"]})
    assert early.status_code == 429
    assert 1 <= int(early.headers["Retry-After"]) <= 60
    assert early.json()["code"] == "too_many_attempts"

    travel(61)
    second = _otp_required(
        client.post("/auth/resend-otp", json={"otp_session_id": first["otp_session_id"]})
    )
    assert second["otp_session_id"] != first["otp_session_id"]
    code = smtp_server.inbox.code_for("ada@example.com", count=2)
    _pair(
        client.post(
            "/auth/verify-otp", json={"otp_session_id": second["otp_session_id"], "code": code}
        )
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_schema_and_docs_are_served(api_client: ApiClient) -> None:
    client = api_client(mode="otp")
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path, method in [
        ("/info", "get"),
        ("/auth/login", "post"),
        ("/auth/verify-otp", "post"),
        ("/auth/resend-otp", "post"),
        ("/auth/refresh", "post"),
        ("/auth/logout", "post"),
        ("/auth/signup", "post"),
        ("/auth/me", "get"),
    ]:
        assert method in paths[path], path
        assert paths[path][method].get("description") or paths[path][method].get("summary")
    # Errors are documented with their shape.
    assert "429" in paths["/auth/login"]["post"]["responses"]

    docs = client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "swagger" in docs.text.lower()
    assert "/openapi.json" in docs.text


def test_otp_login_by_unknown_username_looks_like_a_known_one(api_client, make_user) -> None:  # type: ignore[no-untyped-def]
    client = api_client(mode="otp")
    make_user(username="ada", email="ada@example.com")
    known = client.post("/auth/login", json={"username": "ada"}).json()
    unknown = client.post("/auth/login", json={"username": "nobody"}).json()
    assert known["sent_to"] == unknown["sent_to"] == "the email address of that account"
    assert set(known) == set(unknown)
