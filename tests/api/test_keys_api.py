"""/api/keys and API-key authentication (SPEC sections 6 and 7), end to end."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin_app.clock import now
from admin_app.models import ApiKey, User
from admin_app.services.access.permissions import names as catalogue_names
from tests.api import keys_conftest_helpers as h

# On SQLite and PostgreSQL (see tests/conftest.py): API-key checks read through the async psycopg
# engine on PostgreSQL and write their last use from a thread.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
Travel = Callable[[float], None]
CREATED_KEYS = {"id", "key", "prefix", "permissions", "expires_at"}
LISTED_KEYS = {"id", "name", "prefix", "permissions", "created_at", "last_used_at", "expires_at"}


def _create(client: TestClient, headers: dict[str, str], *permissions: str, **extra: Any) -> Any:
    return client.post(
        "/api/keys", json={"name": "ci", "permissions": list(permissions), **extra}, headers=headers
    )


def _key(client: TestClient, headers: dict[str, str], *permissions: str, **extra: Any) -> str:
    answer = _create(client, headers, *permissions, **extra)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["key"])


def _me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get("/auth/me", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _rows(engine: Engine) -> list[ApiKey]:
    with Session(engine) as fresh:
        return list(fresh.exec(select(ApiKey)).all())


def test_a_key_is_shown_once_stored_hashed_and_accepted_both_ways(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    root = make_user(username="root", admin=True)
    session = h.token(client, "root")

    answer = _create(client, session, "users:read")
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert set(created) == CREATED_KEYS
    assert (created["permissions"], created["expires_at"]) == (["users:read"], None)
    match = re.fullmatch(r"ak_([0-9a-f]+)_([A-Za-z0-9_-]+)", created["key"])
    assert match is not None, created["key"]
    assert match.group(1) == created["prefix"]
    secret = match.group(2)
    assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) >= 32

    [row] = _rows(engine)
    assert (row.id, row.user_id, row.prefix) == (created["id"], root.id, created["prefix"])
    assert row.key_hash == hashlib.sha256(created["key"].encode()).hexdigest()
    assert row.last_used_at is None
    stored = " ".join(str(v) for v in row.model_dump().values())
    assert created["key"] not in stored and secret not in stored

    for headers in (h.bearer(created["key"]), h.api_key(created["key"])):
        me = _me(client, headers)
        assert (me["id"], me["username"], me["permissions"]) == (root.id, "root", ["users:read"])
    [row] = _rows(engine)
    assert row.last_used_at is not None
    assert now() - row.last_used_at < dt.timedelta(minutes=1)

    listed = client.get("/api/keys", headers=session)
    assert listed.status_code == 200
    [item] = listed.json()
    assert set(item) == LISTED_KEYS
    assert (item["id"], item["name"], item["prefix"]) == (created["id"], "ci", created["prefix"])
    assert item["last_used_at"] is not None
    assert created["key"] not in listed.text and secret not in listed.text
    # Listing needs api_keys:write, which this key was not given.
    h.error(client.get("/api/keys", headers=h.api_key(created["key"])), 403, "permission_denied")


def test_a_key_cannot_hold_more_than_its_creator(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="ada")
    make_user(username="root", admin=True)
    ada = h.token(client, "ada")

    detail = h.error(
        _create(client, ada, "users:read", "audit:read", "api_keys:write"),
        403,
        "permission_not_held",
    )
    assert "users:read" in detail and "audit:read" in detail
    assert "api_keys:write" not in detail
    for wanted in (["users:delete"], ["api_keys:write", "superuser"]):
        detail = h.error(_create(client, ada, *wanted), 422, "invalid")
        assert wanted[-1] in detail
    h.error(_create(client, h.token(client, "root"), "users:read", "sudo"), 422, "invalid")
    assert _rows(engine) == []

    assert _create(client, ada, "api_keys:write").json()["permissions"] == ["api_keys:write"]
    everything = _create(client, h.token(client, "root"), *catalogue_names())
    assert everything.status_code == 201
    assert everything.json()["permissions"] == sorted(catalogue_names())


def test_a_users_read_key_reads_users_and_nothing_more(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    ada = make_user(username="ada", full_name="Ada Lovelace")
    key = h.api_key(_key(client, h.token(client, "root"), "users:read"))

    listed = client.get("/api/users", headers=key)
    assert listed.status_code == 200
    assert {u["username"] for u in listed.json()["items"]} == {"root", "ada"}
    assert client.get(f"/api/users/{ada.id}", headers=key).json()["username"] == "ada"

    h.error(
        client.patch(f"/api/users/{ada.id}", json={"full_name": "Eve"}, headers=key),
        403,
        "permission_denied",
    )
    h.error(client.delete(f"/api/users/{ada.id}", headers=key), 403, "permission_denied")
    h.error(client.post(f"/api/users/{ada.id}/reset-link", headers=key), 403, "permission_denied")
    new_user = {"username": "eve", "full_name": "Eve", "email": "eve@example.com"}
    h.error(client.post("/api/users", json=new_user, headers=key), 403, "permission_denied")
    h.error(client.get("/api/audit", headers=key), 403, "permission_denied")
    h.error(_create(client, key, "users:read"), 403, "key_cannot_manage_keys")
    assert client.get(f"/api/users/{ada.id}", headers=key).json()["full_name"] == "Ada Lovelace"


def test_a_key_stops_at_its_expiry(
    api_client: ApiClient, make_user: MakeUser, travel: Travel
) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    session = h.token(client, "root")
    expires = now() + dt.timedelta(hours=1)
    answer = _create(client, session, "users:read", expires_at=expires.isoformat())
    assert answer.status_code == 201, answer.text
    assert dt.datetime.fromisoformat(answer.json()["expires_at"]) == expires
    key = h.api_key(answer.json()["key"])
    assert client.get("/api/users", headers=key).status_code == 200

    past = (now() - dt.timedelta(minutes=1)).isoformat()
    h.error(_create(client, session, "users:read", expires_at=past), 422, "invalid")

    travel(3600 + 1)
    h.error(client.get("/api/users", headers=key), 401, "not_authenticated")
    h.error(client.get("/auth/me", headers=key), 401, "not_authenticated")


def test_a_revoked_key_stops_at_once(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    session = h.token(client, "root")
    kept = _key(client, session, "users:read")
    doomed = _create(client, session, "users:read").json()
    assert _me(client, h.bearer(doomed["key"]))["username"] == "root"

    answer = client.delete(f"/api/keys/{doomed['id']}", headers=session)
    assert (answer.status_code, answer.content) == (204, b"")
    h.error(client.get("/auth/me", headers=h.bearer(doomed["key"])), 401, "not_authenticated")
    h.error(client.get("/auth/me", headers=h.api_key(doomed["key"])), 401, "not_authenticated")
    assert [k["prefix"] for k in client.get("/api/keys", headers=session).json()] == [
        kept.split("_")[1]
    ]
    assert _me(client, h.api_key(kept))["username"] == "root"
    h.error(client.delete(f"/api/keys/{doomed['id']}", headers=session), 404, "not_found")
    h.error(client.delete("/api/keys/999999", headers=session), 404, "not_found")
    assert sum(r.revoked_at is not None for r in _rows(engine)) == 1


def test_nobody_revokes_another_users_key(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    make_user(username="ada")
    make_user(username="root", admin=True)
    adas = _create(client, h.token(client, "ada"), "api_keys:write").json()
    root = h.token(client, "root")
    h.error(client.delete(f"/api/keys/{adas['id']}", headers=root), 404, "not_found")
    assert client.get("/api/keys", headers=root).json() == []
    assert _me(client, h.api_key(adas["key"]))["username"] == "ada"


def test_a_key_follows_its_owners_demotion_and_disabling(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    ops = make_user(username="ops", admin=True)
    key = h.api_key(_key(client, h.token(client, "ops"), "users:read", "api_keys:write"))
    assert client.get("/api/users", headers=key).status_code == 200
    root = h.token(client, "root")

    demoted = client.patch(f"/api/users/{ops.id}", json={"is_admin": False}, headers=root)
    assert demoted.status_code == 200, demoted.text
    h.error(client.get("/api/users", headers=key), 403, "permission_denied")
    assert _me(client, key)["permissions"] == ["api_keys:write"]

    disabled = client.patch(f"/api/users/{ops.id}", json={"is_active": False}, headers=root)
    assert disabled.status_code == 200, disabled.text
    h.error(client.get("/auth/me", headers=key), 401, "not_authenticated")
    h.error(client.get("/api/keys", headers=key), 401, "not_authenticated")


def test_a_key_neither_creates_nor_revokes_keys(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="ada")
    session = h.token(client, "ada")
    parent = _create(client, session, "api_keys:write").json()
    sibling = _create(client, session, "api_keys:write").json()
    key = h.api_key(parent["key"])

    # Before: a key made a child key, which outlived the parent's revocation.
    for headers in (key, h.bearer(parent["key"])):
        h.error(_create(client, headers, "api_keys:write"), 403, "key_cannot_manage_keys")
        h.error(
            client.delete(f"/api/keys/{sibling['id']}", headers=headers),
            403,
            "key_cannot_manage_keys",
        )
        h.error(
            client.delete(f"/api/keys/{parent['id']}", headers=headers),
            403,
            "key_cannot_manage_keys",
        )
    assert sorted(row.id for row in _rows(engine) if row.revoked_at is None) == sorted(
        [parent["id"], sibling["id"]]
    )
    # The key may still list its owner's keys (it holds api_keys:write) ...
    listed = client.get("/api/keys", headers=key)
    assert listed.status_code == 200
    assert {item["id"] for item in listed.json()} == {parent["id"], sibling["id"]}
    # ... and the signed-in owner still manages them.
    assert client.delete(f"/api/keys/{sibling['id']}", headers=session).status_code == 204
    assert _create(client, session, "api_keys:write").status_code == 201


def test_listing_keys_needs_api_keys_write(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    reader = h.api_key(_key(client, h.token(client, "root"), "users:read"))
    h.error(client.get("/api/keys", headers=reader), 403, "permission_denied")
    h.error(client.get("/api/keys"), 401, "not_authenticated")


def test_a_wrong_key_is_401(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    key = _key(client, h.token(client, "root"), "users:read")
    _, prefix, secret = key.split("_", 2)
    for wrong in (
        f"ak_{prefix}_{secret[::-1]}",
        f"ak_{prefix[::-1]}_{secret}",
        "ak_0123456789ab_" + "A" * 43,
        "not-a-key",
        "ak_",
        "",
    ):
        for headers in (h.api_key(wrong), h.bearer(wrong)):
            h.error(client.get("/auth/me", headers=headers), 401, "not_authenticated")
    # An X-API-Key, when present, is what authenticates: a good token beside it does not help.
    both = {**h.token(client, "root"), **h.api_key("ak_" + prefix + "_wrong")}
    h.error(client.get("/auth/me", headers=both), 401, "not_authenticated")
    assert _me(client, h.api_key(key))["permissions"] == ["users:read"]
