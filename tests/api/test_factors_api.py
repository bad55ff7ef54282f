"""/auth/factors: a signed-in user's own authenticator apps and recovery codes, end to end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient

from admin_app.models import User
from tests.api import factor_helpers as f
from tests.conftest import PASSWORD
from tests.support.smtp import SmtpServer

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
FACTORS_KEYS = {"apps", "passkeys", "recovery_codes_left", "trusted_browsers", "reauth_methods"}
APP_KEYS = {"id", "name", "created_at", "last_used_at"}


def _signed_in(client: TestClient, username: str = "ada") -> dict[str, str]:
    answer = client.post("/auth/login", json={"username": username, "password": PASSWORD})
    return f.bearer(f.pair(answer)["access_token"])


def _factors(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get("/auth/factors", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == FACTORS_KEYS
    return dict(body)


@pytest.mark.both_databases
def test_adding_an_app_shows_its_secret_then_counts_once_confirmed(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    headers = _signed_in(client)
    assert _factors(client, headers) == {
        "apps": [],
        "passkeys": [],
        "recovery_codes_left": 0,
        "trusted_browsers": [],
        "reauth_methods": ["password", "email"],
    }

    started = client.post("/auth/factors/totp", json={"name": "  Pixel  7 "}, headers=headers)
    assert started.status_code == 201, started.text
    body = started.json()
    assert set(body) == {"factor_id", "name", "secret", "otpauth_uri", "qr_svg"}
    assert body["name"] == "Pixel 7"
    assert body["qr_svg"].lstrip().startswith("<svg")
    parsed = pyotp.parse_uri(body["otpauth_uri"])
    assert parsed.secret == body["secret"]
    assert parsed.name == "ada@example.com"
    # Not counted before it is confirmed.
    assert _factors(client, headers)["apps"] == []

    app = f.Authenticator(body["secret"], travel)
    confirm = f"/auth/factors/totp/{body['factor_id']}/confirm"
    wrong = client.post(confirm, json={"code": "000000"}, headers=headers)
    f.error(wrong, 400, "incorrect_factor_code")
    done = client.post(confirm, json={"code": app.code()}, headers=headers)
    assert done.status_code == 200, done.text
    confirmed = done.json()
    assert set(confirmed) == {"app", "recovery_codes"}
    assert set(confirmed["app"]) == APP_KEYS
    assert (confirmed["app"]["id"], confirmed["app"]["name"]) == (body["factor_id"], "Pixel 7")
    codes = confirmed["recovery_codes"]
    assert len(set(codes)) == 10 and all(f.RECOVERY_CODE.match(c) for c in codes)
    f.wait_for_subject(smtp_server, "ada@example.com", "A second factor was added")
    # Confirmed once: a second confirmation finds nothing waiting.
    f.error(client.post(confirm, json={"code": app.code()}, headers=headers), 404, "not_found")

    listed = _factors(client, headers)
    assert [a["name"] for a in listed["apps"]] == ["Pixel 7"]
    assert listed["recovery_codes_left"] == 10
    assert listed["reauth_methods"] == ["password", "totp", "recovery", "email"]

    # A second app brings no new recovery codes.
    _second, more = f.add_app(client, headers, travel, name="Laptop")
    assert more == []
    assert [a["name"] for a in _factors(client, headers)["apps"]] == ["Pixel 7", "Laptop"]


def test_removing_apps_and_new_recovery_codes(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    headers = _signed_in(client)
    # Recovery codes come with an app.
    f.error(
        client.post("/auth/factors/recovery-codes", headers=headers), 400, "method_not_available"
    )
    _app, old_codes = f.add_app(client, headers, travel)

    fresh = client.post("/auth/factors/recovery-codes", headers=headers)
    assert fresh.status_code == 200, fresh.text
    new_codes = fresh.json()["recovery_codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    f.wait_for_subject(smtp_server, "ada@example.com", "New recovery codes")
    # The old codes died.
    waiting = f.otp_required(
        client.post("/auth/login", json={"username": "ada", "password": PASSWORD})
    )
    step = {"otp_session_id": waiting["otp_session_id"], "method": "recovery"}
    f.error(
        client.post("/auth/verify-otp", json={**step, "code": old_codes[0]}),
        400,
        "incorrect_factor_code",
    )
    f.pair(client.post("/auth/verify-otp", json={**step, "code": new_codes[0]}))

    (app,) = _factors(client, headers)["apps"]
    gone = client.delete(f"/auth/factors/totp/{app['id']}", headers=headers)
    assert gone.status_code == 204 and gone.content == b""
    f.wait_for_subject(smtp_server, "ada@example.com", "A second factor was removed")
    # With the last app the recovery codes went; sign-in needs no step again.
    assert _factors(client, headers)["apps"] == []
    assert _factors(client, headers)["recovery_codes_left"] == 0
    f.pair(client.post("/auth/login", json={"username": "ada", "password": PASSWORD}))
    f.error(client.delete(f"/auth/factors/totp/{app['id']}", headers=headers), 404, "not_found")


def test_one_user_cannot_touch_another_users_app(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    make_user(username="bob", email="bob@example.com")
    ada = _signed_in(client, "ada")
    f.add_app(client, ada, travel)
    (app,) = _factors(client, ada)["apps"]
    bob = _signed_in(client, "bob")
    f.error(client.delete(f"/auth/factors/totp/{app['id']}", headers=bob), 404, "not_found")
    assert _factors(client, bob)["apps"] == []
    assert len(_factors(client, ada)["apps"]) == 1


def test_an_api_key_is_refused_on_every_route_of_the_own_account(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    headers = _signed_in(client)
    f.add_app(client, headers, travel)
    created = client.post(
        "/api/keys", json={"name": "ci", "permissions": ["api_keys:write"]}, headers=headers
    )
    assert created.status_code == 201, created.text
    key = {"X-API-Key": created.json()["key"]}
    for method, path, body in [
        ("GET", "/auth/factors", None),
        ("POST", "/auth/factors/totp", {"name": "Phone"}),
        ("POST", "/auth/factors/totp/1/confirm", {"code": "123456"}),
        ("DELETE", "/auth/factors/totp/1", None),
        ("POST", "/auth/factors/recovery-codes", None),
        ("DELETE", "/auth/factors/browsers/abc", None),
        ("POST", "/auth/reauthenticate", {"method": "password", "password": PASSWORD}),
        ("POST", "/auth/reauthenticate/email-code", None),
    ]:
        answer = client.request(method, path, json=body, headers=key)
        detail = f.error(answer, 403, "key_cannot_manage_keys")
        assert "access token" in detail, path
    # Nothing changed behind the refusals.
    assert len(_factors(client, headers)["apps"]) == 1
    assert _factors(client, headers)["recovery_codes_left"] == 10


def test_the_routes_need_a_caller(api_client: ApiClient) -> None:
    client = api_client(mode="password")
    f.error(client.get("/auth/factors"), 401, "not_authenticated")
    f.error(client.post("/auth/factors/totp", json={"name": "x"}), 401, "not_authenticated")
    f.error(
        client.post("/auth/reauthenticate", json={"method": "password", "password": "x"}),
        401,
        "not_authenticated",
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_schema_documents_the_factor_routes(api_client: ApiClient) -> None:
    schema = api_client(mode="password").get("/openapi.json")
    assert schema.status_code == 200
    document = schema.json()
    paths = document["paths"]
    for path, method in [
        ("/auth/factors", "get"),
        ("/auth/factors/totp", "post"),
        ("/auth/factors/totp/{factor_id}/confirm", "post"),
        ("/auth/factors/totp/{factor_id}", "delete"),
        ("/auth/factors/recovery-codes", "post"),
        ("/auth/factors/browsers/{browser_id}", "delete"),
        ("/auth/reauthenticate", "post"),
        ("/auth/reauthenticate/email-code", "post"),
        ("/api/users/{user_id}/reset-factors", "post"),
    ]:
        operation = paths[path][method]
        assert operation.get("description"), path
        assert {"401", "403", "429"} <= set(operation["responses"]), path
    assert "201" in paths["/auth/factors/totp"]["post"]["responses"]
    assert "204" in paths["/auth/reauthenticate"]["post"]["responses"]
    schemas = document["components"]["schemas"]
    assert {"methods", "code_mailed"} <= set(schemas["OtpRequiredOut"]["properties"])
    assert "method" in schemas["VerifyOtpIn"]["properties"]
    assert {"authenticator_apps", "recovery_codes_left"} <= set(schemas["UserOut"]["properties"])
    # verify-otp answers either the pair or another step.
    answers = paths["/auth/verify-otp"]["post"]["responses"]["200"]["content"]["application/json"]
    refs = {item["$ref"].rsplit("/", 1)[1] for item in answers["schema"]["anyOf"]}
    assert refs == {"TokensOut", "OtpRequiredOut"}
