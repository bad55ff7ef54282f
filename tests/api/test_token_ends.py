"""Access tokens end when they should (SPEC sections 6 and 11), driven as an attacker would.

Logout and a detected refresh-token reuse end the family's access tokens at
once; a token without its stamp, or signed with JWT_SECRET itself instead of
its derived key, opens nothing.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import itsdangerous
import jwt
import pytest
from fastapi.testclient import TestClient

from admin_app.api.oauth_state import OAuthState
from admin_app.models import User
from admin_app.security.keys import derive
from tests.api import keys_conftest_helpers as h
from tests.conftest import TEST_SECRET

# On SQLite and PostgreSQL (see tests/conftest.py): access-token checks read through the async
# psycopg engine on PostgreSQL.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
Travel = Callable[[float], None]


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _status(client: TestClient, access: str) -> int:
    return client.get("/auth/me", headers=h.bearer(access)).status_code


def _working(client: TestClient, tokens: list[str]) -> int:
    return sum(_status(client, token) == 200 for token in tokens)


def _refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post("/auth/refresh", json={"refresh_token": refresh_token})


def test_logout_ends_the_familys_access_tokens_at_once(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="ada")
    first = h.login(client, "ada")
    second = _refresh(client, first["refresh_token"]).json()
    other_device = h.login(client, "ada")
    family = [first["access_token"], second["access_token"]]
    assert _claims(first["access_token"])["fam"] == _claims(first["refresh_token"])["fam"]
    assert _working(client, family) == 2

    out = client.post("/auth/logout", json={"refresh_token": second["refresh_token"]})
    assert out.status_code == 204

    # Before: both still opened /auth/me for the rest of their 15 minutes.
    assert _working(client, family) == 0
    for token in family:
        h.error(client.get("/auth/me", headers=h.bearer(token)), 401, "not_authenticated")
    # Another sign-in of the same user is another family, untouched.
    assert _status(client, other_device["access_token"]) == 200


def test_a_detected_reuse_ends_the_familys_access_tokens(
    api_client: ApiClient, make_user: MakeUser, travel: Travel
) -> None:
    client = api_client(REFRESH_REUSE_GRACE_SECONDS=5)
    make_user(username="ada")
    stolen = h.login(client, "ada")
    rotated = _refresh(client, stolen["refresh_token"]).json()
    travel(6)
    h.error(_refresh(client, stolen["refresh_token"]), 401, "invalid_refresh_token")

    # Before: the thief's and the owner's access tokens kept working.
    assert _working(client, [stolen["access_token"], rotated["access_token"]]) == 0
    h.error(_refresh(client, rotated["refresh_token"]), 401, "invalid_refresh_token")


def _forge(claims: dict[str, Any], key: bytes | str) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def test_an_access_token_without_its_stamp_is_refused(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="ada")
    real = _claims(h.login(client, "ada")["access_token"])
    # Forge as this build signs (so the test isolates the missing stamp).
    key = next(
        k
        for k in (derive(TEST_SECRET, "jwt"), TEST_SECRET)
        if _status(client, _forge(real, k)) == 200
    )
    stampless = {name: value for name, value in real.items() if name != "ver"}
    # Before: accepted, and so never ended by a password change or disabling.
    h.error(
        client.get("/auth/me", headers=h.bearer(_forge(stampless, key))), 401, "not_authenticated"
    )
    h.error(
        client.get("/auth/me", headers=h.bearer(_forge({**real, "ver": None}, key))),
        401,
        "not_authenticated",
    )


def test_a_token_signed_with_jwt_secret_itself_is_refused(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="ada")
    real = _claims(h.login(client, "ada")["access_token"])
    moment = int(time.time())
    raw = _forge({**real, "iat": moment, "exp": moment + 60}, TEST_SECRET)
    # Before: JWT_SECRET itself signed tokens, so anything keyed by it could mint one.
    h.error(client.get("/auth/me", headers=h.bearer(raw)), 401, "not_authenticated")


def test_the_oauth_state_cookie_is_signed_with_its_own_derived_key(
    api_client: ApiClient,
) -> None:
    client = api_client()
    [middleware] = [m for m in client.app.user_middleware if m.cls is OAuthState]  # type: ignore[attr-defined]
    built = OAuthState(client.app, **middleware.kwargs)
    assert built.with_cookie.signer.secret_keys == [
        derive(TEST_SECRET, "oauth-state").hex().encode()
    ]


def test_the_oauth_state_cookie_is_only_for_oauth_paths(api_client: ApiClient) -> None:
    client = api_client(GITHUB_CLIENT_ID="client-id", GITHUB_CLIENT_SECRET="client-secret")
    assert "set-cookie" not in client.get("/healthz").headers
    started = client.get("/auth/oauth/github/login?next=/users", follow_redirects=False)
    assert started.status_code in (302, 303, 307)
    value = started.cookies["oauth_state"]
    signer = itsdangerous.TimestampSigner(derive(TEST_SECRET, "oauth-state").hex())
    state = json.loads(base64.b64decode(signer.unsign(value, max_age=600)))
    assert "/users" in state.values()
    # Sent back to a path outside /auth/oauth/, it is neither read nor renewed.
    assert "set-cookie" not in client.get("/auth/me").headers
