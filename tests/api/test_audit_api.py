"""/api/audit (SPEC sections 6 and 9): the security events of real requests, end to end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from admin_app.models import User
from tests.api import keys_conftest_helpers as h
from tests.conftest import PASSWORD

# On SQLite and PostgreSQL (see tests/conftest.py): the audit search branches on the dialect.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
EVENT_KEYS = {
    "id",
    "created_at",
    "kind",
    "user_id",
    "username",
    "actor_id",
    "actor_username",
    "ip",
    "user_agent",
    "detail",
}


def _page(client: TestClient, headers: dict[str, str], **params: object) -> dict[str, Any]:
    answer = client.get("/api/audit", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"items", "total", "page", "page_size"}
    for item in body["items"]:
        assert set(item) == EVENT_KEYS
    return dict(body)


def test_the_log_of_real_requests(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    root = make_user(username="root", admin=True)
    ada = make_user(username="ada")
    agent = {"User-Agent": "audit-test/1.0"}
    headers = {**h.token(client, "root"), **agent}

    wrong = client.post(
        "/auth/login", json={"username": "ada", "password": "not it at all!"}, headers=agent
    )
    assert wrong.status_code == 401
    adas = {**h.token(client, "ada"), **agent}
    key = client.post("/api/keys", json={"name": "ci", "permissions": []}, headers=adas).json()
    assert client.delete(f"/api/keys/{key['id']}", headers=adas).status_code == 204
    for change in ({"is_admin": True}, {"is_admin": False}, {"is_active": False}):
        answer = client.patch(f"/api/users/{ada.id}", json=change, headers=headers)
        assert answer.status_code == 200, answer.text
    link = client.post(f"/api/users/{ada.id}/reset-link", headers=headers)
    assert link.status_code == 200

    everything = _page(client, headers, page_size=100)
    assert (everything["page"], everything["page_size"]) == (1, 100)
    items = everything["items"]
    assert everything["total"] == len(items)
    stamps = [dt.datetime.fromisoformat(e["created_at"]) for e in items]
    assert stamps == sorted(stamps, reverse=True)
    assert [e["id"] for e in items] == sorted((e["id"] for e in items), reverse=True)
    kinds = [e["kind"] for e in items]
    assert kinds[:8] == [
        "reset_link.created",
        "user.updated",
        "user.disabled",
        "user.updated",
        "role.revoked",
        "user.updated",
        "role.granted",
        "api_key.revoked",
    ]

    by_kind = {e["kind"]: e for e in items}
    for kind in ("reset_link.created", "user.disabled", "role.granted", "role.revoked"):
        event = by_kind[kind]
        assert (event["user_id"], event["username"]) == (ada.id, "ada"), kind
        assert (event["actor_id"], event["actor_username"]) == (root.id, "root"), kind
        assert event["user_agent"] == "audit-test/1.0"
        assert event["ip"]
    assert by_kind["role.granted"]["detail"] == {"role": "Admin"}
    for kind in ("api_key.created", "api_key.revoked"):
        event = by_kind[kind]
        assert (event["user_id"], event["username"]) == (ada.id, "ada"), kind
        assert event["detail"]["key_id"] == key["id"]
    assert by_kind["signin.failed"]["user_agent"] == "audit-test/1.0"
    assert PASSWORD not in str(items) and "not it at all!" not in str(items)
    assert key["key"] not in str(items)


def test_filters_and_pages(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    ada = make_user(username="ada")
    grace = make_user(username="grace")
    for name, password in (
        ("ada", "wrong password!!"),
        ("ada", PASSWORD),
        ("grace", "nope nope nope"),
    ):
        client.post("/auth/login", json={"username": name, "password": password})
    headers = h.token(client, "root")

    signins = _page(client, headers, kind="signin")["items"]
    assert {e["kind"] for e in signins} == {"signin.failed", "signin.succeeded"}
    assert sorted((e["kind"], e["username"]) for e in signins) == [
        ("signin.failed", "ada"),
        ("signin.failed", "grace"),
        ("signin.succeeded", "ada"),
        ("signin.succeeded", "root"),
    ]
    failed = _page(client, headers, kind="signin.failed")
    assert (failed["total"], {e["username"] for e in failed["items"]}) == (2, {"ada", "grace"})
    assert _page(client, headers, kind="sign")["items"] == []

    adas = _page(client, headers, user_id=ada.id)
    assert {e["user_id"] for e in adas["items"]} == {ada.id}
    assert [e["kind"] for e in adas["items"]] == [
        "signin.succeeded",
        "signin.failed",
        "user.created",
    ]
    assert _page(client, headers, user_id=grace.id, kind="signin")["total"] == 1
    assert _page(client, headers, user_id=999_999)["items"] == []

    total = _page(client, headers)["total"]
    first = _page(client, headers, page=1, page_size=2)
    second = _page(client, headers, page=2, page_size=2)
    assert (first["total"], second["total"], second["page"], second["page_size"]) == (
        total,
        total,
        2,
        2,
    )
    assert len(first["items"]) == 2
    assert first["items"][-1]["id"] > second["items"][0]["id"]
    for params in ({"page": 0}, {"page_size": 101}, {"kind": "x" * 65}):
        h.error(client.get("/api/audit", params=params, headers=headers), 422, "invalid_request")


def test_the_log_is_for_audit_readers_only(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    make_user(username="ada")
    h.error(client.get("/api/audit", headers=h.token(client, "ada")), 403, "permission_denied")
    h.error(client.get("/api/audit"), 401, "not_authenticated")
    root = h.token(client, "root")
    key = client.post("/api/keys", json={"name": "ci", "permissions": ["audit:read"]}, headers=root)
    assert _page(client, h.api_key(key.json()["key"]))["total"] >= 2
    narrow = client.post(
        "/api/keys", json={"name": "ci", "permissions": ["users:read"]}, headers=root
    )
    h.error(
        client.get("/api/audit", headers=h.api_key(narrow.json()["key"])), 403, "permission_denied"
    )
