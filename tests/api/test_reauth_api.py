"""Re-authentication ("sudo mode") through the API: stale proofs answer 401
`reauthentication_required`, `/auth/reauthenticate` takes each proof, and an
admin's reset of a user's factors. Real SMTP, codes computed with pyotp."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app.models import AuditEvent, User
from tests.api import factor_helpers as f
from tests.conftest import PASSWORD
from tests.support.smtp import SmtpServer

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
# Past REAUTH_MINUTES (10).
STALE = 11 * 60
# Access tokens that outlive a few stale proofs.
LONG_TOKENS = {"ACCESS_TOKEN_TTL_SECONDS": 3600}


def _signed_in(client: TestClient, username: str = "ada") -> dict[str, str]:
    answer = client.post("/auth/login", json={"username": username, "password": PASSWORD})
    return f.bearer(f.pair(answer)["access_token"])


def _reauth(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/auth/reauthenticate", json=body, headers=headers)


def _start(client: TestClient, headers: dict[str, str]) -> Any:
    return client.post("/auth/factors/totp", json={"name": "Phone"}, headers=headers)


@pytest.mark.both_databases
def test_a_stale_proof_is_refused_until_the_password_is_given_again(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, engine: Engine
) -> None:
    client = api_client(mode="password", **LONG_TOKENS)
    make_user(username="ada", email="ada@example.com")
    headers = _signed_in(client)
    assert _start(client, headers).status_code == 201  # a sign-in is a fresh proof

    travel(STALE)
    detail = f.error(_start(client, headers), 401, "reauthentication_required")
    assert "Confirm it is you" in detail
    f.error(
        _reauth(client, headers, method="password", password="not the password"),
        401,
        "invalid_credentials",
    )
    f.error(_start(client, headers), 401, "reauthentication_required")

    done = _reauth(client, headers, method="password", password=PASSWORD)
    assert done.status_code == 204 and done.content == b""
    assert _start(client, headers).status_code == 201
    with Session(engine) as fresh:
        kinds = [
            e.kind
            for e in fresh.exec(
                select(AuditEvent)
                .where(col(AuditEvent.kind).startswith("reauth."))
                .order_by(col(AuditEvent.id))
            ).all()
        ]
    assert kinds == ["reauth.failed", "reauth.succeeded"]

    # The proof lasts REAUTH_MINUTES, and is this sign-in's only.
    other = _signed_in(client)
    travel(STALE)
    f.error(_start(client, headers), 401, "reauthentication_required")
    assert _reauth(client, other, method="password", password=PASSWORD).status_code == 204
    assert _start(client, other).status_code == 201
    f.error(_start(client, headers), 401, "reauthentication_required")


def test_reauthenticating_with_the_app_or_a_recovery_code(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel
) -> None:
    client = api_client(mode="password", **LONG_TOKENS)
    make_user(username="ada", email="ada@example.com")
    headers = _signed_in(client)
    app, codes = f.add_app(client, headers, travel)
    (phone,) = client.get("/auth/factors", headers=headers).json()["apps"]

    travel(STALE)
    f.error(
        client.post("/auth/factors/recovery-codes", headers=headers),
        401,
        "reauthentication_required",
    )
    assert _reauth(client, headers, method="totp", code=app.code()).status_code == 204
    fresh = client.post("/auth/factors/recovery-codes", headers=headers)
    assert fresh.status_code == 200, fresh.text
    new_codes = fresh.json()["recovery_codes"]

    travel(STALE)
    f.error(
        client.delete(f"/auth/factors/totp/{phone['id']}", headers=headers),
        401,
        "reauthentication_required",
    )
    # A replayed code, a wrong one, an old recovery code: no proof.
    f.error(
        _reauth(client, headers, method="totp", code=app.last_code()), 400, "incorrect_factor_code"
    )
    f.error(_reauth(client, headers, method="totp", code="12345"), 400, "incorrect_factor_code")
    f.error(
        _reauth(client, headers, method="recovery", code=codes[0]), 400, "incorrect_factor_code"
    )
    assert _reauth(client, headers, method="recovery", code=new_codes[0]).status_code == 204
    # Used once.
    f.error(
        _reauth(client, headers, method="recovery", code=new_codes[0]),
        400,
        "incorrect_factor_code",
    )
    assert client.delete(f"/auth/factors/totp/{phone['id']}", headers=headers).status_code == 204


def test_reauthenticating_with_a_mailed_code(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="otp", **LONG_TOKENS)
    make_user(username="ada", email="ada@example.com", password=None)
    waiting = f.otp_required(client.post("/auth/login", json={"username": "ada"}))
    tokens = f.pair(
        client.post(
            "/auth/verify-otp",
            json={
                "otp_session_id": waiting["otp_session_id"],
                "code": f.wait_for_code(smtp_server, "ada@example.com"),
            },
        )
    )
    headers = f.bearer(tokens["access_token"])
    assert client.get("/auth/factors", headers=headers).json()["reauth_methods"] == ["email"]

    travel(STALE)
    f.error(_start(client, headers), 401, "reauthentication_required")
    # Methods this user does not have are not offered.
    f.error(
        _reauth(client, headers, method="password", password=PASSWORD), 400, "method_not_available"
    )
    f.error(_reauth(client, headers, method="totp", code="123456"), 400, "method_not_available")
    sent = client.post("/auth/reauthenticate/email-code", headers=headers)
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert set(body) == {"status", "otp_session_id", "expires_in", "sent_to", "resend_in"}
    assert (body["status"], body["sent_to"], body["resend_in"]) == (
        "code_sent",
        "a•••a@example.com",
        60,
    )
    code = f.wait_for_code(smtp_server, "ada@example.com", count=2)
    # A sign-in's session cannot stand in for it, nor a wrong code.
    f.error(
        _reauth(
            client, headers, method="email", otp_session_id=waiting["otp_session_id"], code=code
        ),
        400,
        "otp_session_invalid",
    )
    wrong = "000000" if code != "000000" else "111111"
    f.error(
        _reauth(client, headers, method="email", otp_session_id=body["otp_session_id"], code=wrong),
        400,
        "incorrect_code",
    )
    done = _reauth(
        client, headers, method="email", otp_session_id=body["otp_session_id"], code=code
    )
    assert done.status_code == 204, done.text
    assert _start(client, headers).status_code == 201


def _user_out(client: TestClient, headers: dict[str, str], user_id: int) -> dict[str, Any]:
    answer = client.get(f"/api/users/{user_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.mark.both_databases
def test_an_admin_resets_a_users_factors(
    api_client: ApiClient,
    make_user: MakeUser,
    travel: f.Travel,
    smtp_server: SmtpServer,
    engine: Engine,
) -> None:
    client = api_client(mode="password", **LONG_TOKENS)
    admin = make_user(username="root", email="root@example.com", admin=True)
    user = make_user(username="ada", email="ada@example.com")
    make_user(username="bob", email="bob@example.com")
    assert user.id is not None
    f.add_app(client, _signed_in(client, "ada"), travel)
    root = _signed_in(client, "root")
    before = _user_out(client, root, user.id)
    assert (before["authenticator_apps"], before["recovery_codes_left"]) == (1, 10)
    f.otp_required(client.post("/auth/login", json={"username": "ada", "password": PASSWORD}))

    # Not for a user without users:write.
    f.error(
        client.post(f"/api/users/{user.id}/reset-factors", headers=_signed_in(client, "bob")),
        403,
        "permission_denied",
    )
    # A sensitive change: the admin's proof must be fresh.
    travel(STALE)
    reset = f"/api/users/{user.id}/reset-factors"
    f.error(client.post(reset, headers=root), 401, "reauthentication_required")
    assert _reauth(client, root, method="password", password=PASSWORD).status_code == 204
    answer = client.post(reset, headers=root)
    assert answer.status_code == 200, answer.text
    after = answer.json()
    assert (after["id"], after["authenticator_apps"], after["recovery_codes_left"]) == (
        user.id,
        0,
        0,
    )

    f.wait_for_subject(smtp_server, "ada@example.com", "second factors of your")
    with Session(engine) as fresh:
        (event,) = fresh.exec(select(AuditEvent).where(AuditEvent.kind == "factors.reset")).all()
    assert (event.user_id, event.actor_id) == (user.id, admin.id)
    assert json.loads(event.detail)["apps"] == 1
    # Her next sign-in needs no app.
    f.pair(client.post("/auth/login", json={"username": "ada", "password": PASSWORD}))
    f.error(client.post("/api/users/999999/reset-factors", headers=root), 404, "not_found")


def test_an_api_key_needs_no_fresh_proof(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel
) -> None:
    client = api_client(mode="password", **LONG_TOKENS)
    make_user(username="root", email="root@example.com", admin=True)
    user = make_user(username="ada", email="ada@example.com")
    f.add_app(client, _signed_in(client, "ada"), travel)
    root = _signed_in(client, "root")
    created = client.post(
        "/api/keys",
        json={"name": "ops", "permissions": ["users:read", "users:write"]},
        headers=root,
    )
    assert created.status_code == 201, created.text
    key = {"X-API-Key": created.json()["key"]}
    travel(STALE)
    # The signed-in admin is stale; the key made with a fresh proof is not asked again.
    f.error(
        client.post(f"/api/users/{user.id}/reset-factors", headers=root),
        401,
        "reauthentication_required",
    )
    answer = client.post(f"/api/users/{user.id}/reset-factors", headers=key)
    assert answer.status_code == 200, answer.text
    assert answer.json()["authenticator_apps"] == 0
