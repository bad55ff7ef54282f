"""/api/users and reset links (SPEC sections 6, 9 and 11), end to end."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.errors import InvalidResetLink
from admin_app.models import AuditEvent, AuthSession, ResetLink, User
from admin_app.services.access import browser_sessions
from admin_app.services.accounts import reset_links
from admin_app.settings import Settings
from tests.api import keys_conftest_helpers as h
from tests.conftest import CTX, PASSWORD
from tests.support.smtp import SmtpServer

# On SQLite and PostgreSQL (see tests/conftest.py): the user search branches on the dialect; the
# last-Admin rule locks rows.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
USER_KEYS = {
    "id",
    "username",
    "full_name",
    "email",
    "is_active",
    "is_admin",
    "mfa_enabled",
    "created_at",
    "authenticator_apps",
    "passkeys",
    "recovery_codes_left",
    "locked",
}
NEW_PASSWORD = "a completely fresh passphrase"


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def _user(answer: Any, status: int = 200) -> dict[str, Any]:
    body = _ok(answer, status)
    assert set(body) == USER_KEYS
    return dict(body)


def _events(engine: Engine, kind: str) -> list[AuditEvent]:
    with Session(engine) as fresh:
        return list(
            fresh.exec(
                select(AuditEvent).where(AuditEvent.kind == kind).order_by(col(AuditEvent.id))
            ).all()
        )


def test_list_search_and_page(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    make_user(username="root", email="root@corp.example", full_name="Root", admin=True)
    ada = make_user(username="ada_l", email="ada@analytical.example", full_name="Ada Lovelace")
    make_user(username="adaxl", email="decoy@corp.example", full_name="Decoy")
    make_user(username="grace", email="grace@navy.example", full_name="Grace Hopper", mfa=True)
    make_user(username="pct", email="pct@corp.example", full_name="Sure 100% Yes")
    root = h.token(client, "root")

    def names(**params: object) -> list[str]:
        page = _ok(client.get("/api/users", params=params, headers=root))
        assert set(page) == {"items", "total", "page", "page_size"}
        return [item["username"] for item in page["items"]]

    everyone = _ok(client.get("/api/users", headers=root))
    assert (everyone["total"], everyone["page"], everyone["page_size"]) == (5, 1, 25)
    [first] = [u for u in everyone["items"] if u["username"] == "ada_l"]
    assert set(first) == USER_KEYS
    assert (first["id"], first["email"], first["full_name"]) == (
        ada.id,
        "ada@analytical.example",
        "Ada Lovelace",
    )
    assert (first["is_active"], first["is_admin"], first["mfa_enabled"]) == (True, False, False)
    assert names() == ["ada_l", "adaxl", "grace", "pct", "root"]

    assert names(search="LOVELACE") == ["ada_l"]
    assert names(search="Navy") == ["grace"]
    assert names(search="grace h") == ["grace"]
    assert names(search="corp") == ["adaxl", "pct", "root"]
    assert names(search="_") == ["ada_l"]
    assert names(search="a_l") == ["ada_l"]
    assert names(search="%") == ["pct"]
    assert names(search="a%a") == []

    page = _ok(client.get("/api/users", params={"page": 2, "page_size": 2}, headers=root))
    assert (page["total"], page["page"], page["page_size"]) == (5, 2, 2)
    assert [u["username"] for u in page["items"]] == ["grace", "pct"]
    page = _ok(
        client.get("/api/users", params={"search": "corp", "page": 2, "page_size": 2}, headers=root)
    )
    assert (page["total"], [u["username"] for u in page["items"]]) == (3, ["root"])
    for params in ({"page": 0}, {"page_size": 0}, {"page_size": 101}, {"search": "x" * 101}):
        h.error(client.get("/api/users", params=params, headers=root), 422, "invalid_request")


def test_create_in_password_mode_sends_no_mail(
    api_client: ApiClient, engine: Engine, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password")
    root = make_user(username="root", admin=True)
    headers = h.token(client, "root")
    body = {"username": "eve", "full_name": "Eve Adams", "email": "Eve@Example.com"}
    eve = _user(
        client.post("/api/users", json={**body, "password": NEW_PASSWORD}, headers=headers), 201
    )
    assert (eve["username"], eve["email"], eve["full_name"]) == (
        "eve",
        "eve@example.com",
        "Eve Adams",
    )
    assert (eve["is_active"], eve["is_admin"]) == (True, False)
    assert _user(client.get(f"/api/users/{eve['id']}", headers=headers)) == eve
    h.login(client, "eve", NEW_PASSWORD)
    [event] = _events(engine, "user.created")[-1:]
    assert (event.user_id, event.actor_id) == (eve["id"], root.id)

    h.error(
        client.post("/api/users", json={**body, "email": "x@example.com"}, headers=headers),
        409,
        "username_taken",
    )
    h.error(
        client.post(
            "/api/users",
            json={**body, "username": "eve2", "email": "EVE@example.com"},
            headers=headers,
        ),
        409,
        "email_taken",
    )
    h.error(
        client.post("/api/users", json={**body, "username": "e v e"}, headers=headers),
        422,
        "invalid_username",
    )
    h.error(
        client.post(
            "/api/users", json={**body, "username": "eve3", "email": "nope"}, headers=headers
        ),
        422,
        "invalid_email",
    )
    h.error(
        client.post(
            "/api/users",
            json={**body, "username": "eve4", "email": "eve4@example.com", "password": "short"},
            headers=headers,
        ),
        422,
        "weak_password",
    )

    admin = _user(
        client.post(
            "/api/users",
            json={
                "username": "boss",
                "full_name": "Boss",
                "email": "boss@example.com",
                "is_admin": True,
                "is_active": False,
            },
            headers=headers,
        ),
        201,
    )
    assert (admin["is_admin"], admin["is_active"]) == (True, False)
    assert smtp_server.inbox.messages == []


def test_create_in_otp_mode_mails_a_welcome(
    api_client: ApiClient, engine: Engine, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="otp", APP_URL="https://admin.example.org")
    make_user(username="root", email="root@example.com", admin=True)
    waiting = _ok(client.post("/auth/login", json={"username": "root"}))
    code = smtp_server.inbox.code_for("root@example.com")
    pair = _ok(
        client.post(
            "/auth/verify-otp", json={"otp_session_id": waiting["otp_session_id"], "code": code}
        )
    )
    body = {"username": "eve", "full_name": "Eve", "email": "eve@example.com"}
    eve = _user(
        client.post(
            "/api/users",
            json={**body, "password": NEW_PASSWORD},
            headers=h.bearer(pair["access_token"]),
        ),
        201,
    )
    mail = smtp_server.inbox.wait_for("eve@example.com")
    text = smtp_server.inbox.text(mail)
    assert "eve" in text
    assert "https://admin.example.org/login" in text
    with Session(engine) as db:
        created = db.get(User, eve["id"])
        assert created is not None and created.password_hash is None


def test_update_names_and_addresses(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    ada = make_user(username="ada", email="ada@example.com", full_name="Ada")
    make_user(username="grace", email="grace@example.com")
    headers = h.token(client, "root")
    path = f"/api/users/{ada.id}"

    changed = _user(
        client.patch(
            path,
            json={
                "username": "countess",
                "full_name": " Augusta  King ",
                "email": "AAK@Example.com",
            },
            headers=headers,
        )
    )
    assert (changed["username"], changed["full_name"], changed["email"]) == (
        "countess",
        "Augusta King",
        "aak@example.com",
    )
    assert _user(client.get(path, headers=headers)) == changed
    assert [
        u["id"]
        for u in _ok(client.get("/api/users", params={"search": "augusta"}, headers=headers))[
            "items"
        ]
    ] == [ada.id]
    h.error(client.patch(path, json={"username": "GRACE"}, headers=headers), 409, "username_taken")
    h.error(
        client.patch(path, json={"email": "Grace@example.com"}, headers=headers), 409, "email_taken"
    )
    h.error(
        client.patch(path, json={"username": "no way"}, headers=headers), 422, "invalid_username"
    )
    h.error(client.patch(path, json={"email": "nope"}, headers=headers), 422, "invalid_email")
    h.error(client.patch(path, json={"role": "Admin"}, headers=headers), 422, "invalid_request")
    h.error(
        client.patch("/api/users/999999", json={"full_name": "X"}, headers=headers),
        404,
        "not_found",
    )
    assert _user(client.get(path, headers=headers)) == changed
    # Signing in goes by the new username now.
    h.login(client, "countess")


def test_disable_ends_every_credential_at_once_then_enable(
    api_client: ApiClient, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    client = api_client()
    root = make_user(username="root", admin=True)
    ada = make_user(username="ada")
    headers = h.token(client, "root")
    pair = h.login(client, "ada")
    adas = h.bearer(pair["access_token"])
    with Session(engine) as db:
        browser = browser_sessions.start(db, settings=settings, user_id=ada.id or 0, ctx=CTX)
        db.commit()
    assert _ok(client.get("/auth/me", headers=adas))["username"] == "ada"

    disabled = _user(
        client.patch(f"/api/users/{ada.id}", json={"is_active": False}, headers=headers)
    )
    assert disabled["is_active"] is False
    h.error(client.get("/auth/me", headers=adas), 401, "not_authenticated")
    h.error(
        client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}),
        401,
        "invalid_refresh_token",
    )
    h.error(
        client.post("/auth/login", json={"username": "ada", "password": PASSWORD}),
        403,
        "account_disabled",
    )
    with Session(engine) as db:
        ended = db.get(AuthSession, browser.id)
        assert ended is not None and ended.revoked_at is not None
    [event] = _events(engine, "user.disabled")
    assert (event.user_id, event.actor_id) == (ada.id, root.id)

    enabled = _user(client.patch(f"/api/users/{ada.id}", json={"is_active": True}, headers=headers))
    assert enabled["is_active"] is True
    h.error(client.get("/auth/me", headers=adas), 401, "not_authenticated")
    assert _ok(client.get("/auth/me", headers=h.token(client, "ada")))["username"] == "ada"


def test_grant_and_remove_admin(api_client: ApiClient, engine: Engine, make_user: MakeUser) -> None:
    client = api_client()
    root = make_user(username="root", admin=True)
    ada = make_user(username="ada")
    headers = h.token(client, "root")
    adas = h.token(client, "ada")

    assert (
        _user(client.patch(f"/api/users/{ada.id}", json={"is_admin": True}, headers=headers))[
            "is_admin"
        ]
        is True
    )
    me = _ok(client.get("/auth/me", headers=adas))
    assert (me["roles"], me["permissions"]) == (
        ["Admin", "User"],
        ["api_keys:write", "audit:read", "users:read", "users:write"],
    )
    assert client.get("/api/users", headers=adas).status_code == 200

    assert (
        _user(client.patch(f"/api/users/{ada.id}", json={"is_admin": False}, headers=headers))[
            "is_admin"
        ]
        is False
    )
    h.error(client.get("/api/users", headers=adas), 403, "permission_denied")
    assert _ok(client.get("/auth/me", headers=adas))["roles"] == ["User"]
    assert [
        (e.kind, e.user_id, e.actor_id)
        for e in _events(engine, "role.granted") + _events(engine, "role.revoked")
    ] == [
        ("role.granted", ada.id, root.id),
        ("role.revoked", ada.id, root.id),
    ]


def test_the_last_active_admin_cannot_go(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    root = make_user(username="root", admin=True)
    make_user(username="retired", admin=True, active=False)
    headers = h.token(client, "root")
    path = f"/api/users/{root.id}"
    for change in (
        {"is_admin": False},
        {"is_active": False},
        {"is_admin": False, "full_name": "X"},
    ):
        detail = h.error(client.patch(path, json=change, headers=headers), 409, "last_admin")
        assert "Admin" in detail
    h.error(client.delete(path, headers=headers), 409, "last_admin")
    me = _user(client.get(path, headers=headers))
    assert (me["is_admin"], me["is_active"], me["full_name"]) == (True, True, "Test User")

    # With a second active Admin, the first may step down, and then go.
    second = make_user(username="second", admin=True)
    assert _user(client.patch(path, json={"is_admin": False}, headers=headers))["is_admin"] is False
    h.error(client.get("/api/users", headers=headers), 403, "permission_denied")
    seconds = h.token(client, "second")
    h.error(
        client.patch(f"/api/users/{second.id}", json={"is_active": False}, headers=seconds),
        409,
        "last_admin",
    )
    h.error(client.delete(f"/api/users/{second.id}", headers=seconds), 409, "last_admin")
    assert client.delete(path, headers=seconds).status_code == 204
    h.error(client.get(path, headers=seconds), 404, "not_found")


def test_delete_removes_the_user_and_what_hangs_off_them(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    root = make_user(username="root", admin=True)
    grace = make_user(username="grace", admin=True)
    graces = h.token(client, "grace")
    key = _ok(
        client.post(
            "/api/keys", json={"name": "ci", "permissions": ["users:read"]}, headers=graces
        ),
        201,
    )["key"]
    headers = h.token(client, "root")

    answer = client.delete(f"/api/users/{grace.id}", headers=headers)
    assert (answer.status_code, answer.content) == (204, b"")
    h.error(client.get(f"/api/users/{grace.id}", headers=headers), 404, "not_found")
    h.error(client.delete(f"/api/users/{grace.id}", headers=headers), 404, "not_found")
    h.error(client.get("/auth/me", headers=graces), 401, "not_authenticated")
    h.error(client.get("/auth/me", headers=h.api_key(key)), 401, "not_authenticated")
    with Session(engine) as db:
        assert db.get(User, grace.id) is None
    [event] = _events(engine, "user.deleted")
    assert event.actor_id == root.id
    assert json.loads(event.detail)["deleted_user_id"] == grace.id
    assert _ok(client.get("/api/users", headers=headers))["total"] == 1


def test_every_users_route_is_guarded(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    ada = make_user(username="ada")
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/api/users", None),
        ("GET", f"/api/users/{ada.id}", None),
        ("POST", "/api/users", {"username": "eve", "full_name": "Eve", "email": "eve@example.com"}),
        ("PATCH", f"/api/users/{ada.id}", {"is_admin": True}),
        ("DELETE", f"/api/users/{ada.id}", None),
        ("POST", f"/api/users/{ada.id}/reset-link", None),
        ("GET", "/api/audit", None),
    ]
    plain = h.token(client, "ada")
    for method, path, body in calls:
        h.error(client.request(method, path, json=body, headers=plain), 403, "permission_denied")
        h.error(client.request(method, path, json=body), 401, "not_authenticated")
        h.error(
            client.request(method, path, json=body, headers=h.bearer("nonsense")),
            401,
            "not_authenticated",
        )
    me = _ok(client.get("/auth/me", headers=plain))
    assert me["roles"] == ["User"]
    assert (
        _user(client.get(f"/api/users/{ada.id}", headers=h.token(client, "root")))["is_admin"]
        is False
    )


def test_a_reset_link_from_the_api(
    api_client: ApiClient, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    client = api_client(APP_URL="https://admin.example.org")
    root = make_user(username="root", admin=True)
    ada = make_user(username="ada")
    headers = h.token(client, "root")
    adas = h.login(client, "ada")

    before = now()
    link = _ok(client.post(f"/api/users/{ada.id}/reset-link", headers=headers, json=None))
    assert set(link) == {"url", "expires_at"}
    assert link["url"].startswith("https://admin.example.org/reset-password?token=")
    [token] = parse_qs(urlsplit(link["url"]).query)["token"]
    assert len(token) >= 43
    expires = dt.datetime.fromisoformat(link["expires_at"])
    assert before + dt.timedelta(hours=24) <= expires <= now() + dt.timedelta(hours=24)
    with Session(engine) as db:
        [row] = db.exec(select(ResetLink)).all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert (row.user_id, row.created_by) == (ada.id, root.id)
        assert token not in " ".join(str(v) for v in row.model_dump().values())
    [event] = _events(engine, "reset_link.created")
    assert (event.user_id, event.actor_id) == (ada.id, root.id)
    # A Host header never makes it into the link.
    spoofed = _ok(
        client.post(f"/api/users/{ada.id}/reset-link", headers={**headers, "Host": "evil.example"})
    )
    assert spoofed["url"].startswith("https://admin.example.org/reset-password?token=")
    [spoofed_token] = parse_qs(urlsplit(spoofed["url"]).query)["token"]

    with Session(engine) as db:
        with pytest.raises(InvalidResetLink):
            reset_links.check(db, token=token)  # the newer link killed it
        reset_links.use(db, settings=settings, token=spoofed_token, password=NEW_PASSWORD, ctx=CTX)
        db.commit()
    h.error(
        client.post("/auth/login", json={"username": "ada", "password": PASSWORD}),
        401,
        "invalid_credentials",
    )
    h.login(client, "ada", NEW_PASSWORD)
    h.error(
        client.get("/auth/me", headers=h.bearer(adas["access_token"])), 401, "not_authenticated"
    )
    h.error(client.post("/api/users/999999/reset-link", headers=headers), 404, "not_found")


def test_a_deleted_users_access_token_never_passes_for_a_newer_user(
    api_client: Any, make_user: Any
) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    grace = make_user(username="grace")
    graces = h.token(client, "grace")
    root = h.token(client, "root")
    assert client.delete(f"/api/users/{grace.id}", headers=root).status_code == 204
    _user(
        client.post(
            "/api/users",
            json={"username": "eve", "full_name": "Eve", "email": "eve@example.com"},
            headers=root,
        ),
        201,
    )
    assert client.get("/auth/me", headers=graces).status_code == 401
