"""Disabling, a password change and every kind of reset revoke a user's API keys
for good (SPEC section 7): enabling the account again does not bring them back."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app import cli
from admin_app.models import ApiKey, AuditEvent, User
from admin_app.services.accounts import bootstrap, profile, reset_links
from admin_app.settings import get_settings, load_settings
from tests.api import keys_conftest_helpers as h
from tests.conftest import CHEAP_ARGON2, CTX, PASSWORD

# On SQLite and PostgreSQL (see tests/conftest.py): revocations must reach the API's reads, async
# on PostgreSQL.
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
NEW_PASSWORD = "a completely different phrase"


def _keys(client: TestClient, username: str, count: int = 2) -> list[str]:
    session = h.token(client, username)
    keys = []
    for n in range(count):
        answer = client.post(
            "/api/keys", json={"name": f"ci{n}", "permissions": ["api_keys:write"]}, headers=session
        )
        assert answer.status_code == 201, answer.text
        keys.append(answer.json()["key"])
    return keys


def _working(client: TestClient, keys: list[str]) -> int:
    return sum(client.get("/auth/me", headers=h.api_key(k)).status_code == 200 for k in keys)


def _revocations(engine: Engine, user_id: int | None) -> list[str]:
    with Session(engine) as fresh:
        rows = fresh.exec(
            select(AuditEvent).where(
                AuditEvent.kind == "api_key.revoked", AuditEvent.user_id == user_id
            )
        ).all()
    return sorted(json.loads(row.detail)["reason"] for row in rows)


def _live(engine: Engine, user_id: int | None) -> int:
    with Session(engine) as fresh:
        rows = fresh.exec(
            select(ApiKey).where(ApiKey.user_id == user_id, col(ApiKey.revoked_at).is_(None))
        ).all()
    return len(rows)


def _enable_again(client: TestClient, root: dict[str, str], user_id: int | None) -> None:
    answer = client.patch(f"/api/users/{user_id}", json={"is_active": True}, headers=root)
    assert answer.status_code == 200, answer.text


def test_disabling_revokes_keys_for_good(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    ops = make_user(username="ops")
    keys = _keys(client, "ops")
    root = h.token(client, "root")
    assert _working(client, keys) == 2

    disabled = client.patch(f"/api/users/{ops.id}", json={"is_active": False}, headers=root)
    assert disabled.status_code == 200, disabled.text
    assert _working(client, keys) == 0
    _enable_again(client, root, ops.id)

    # Before: both keys worked again here.
    assert _working(client, keys) == 0
    for key in keys:
        h.error(client.get("/auth/me", headers=h.api_key(key)), 401, "not_authenticated")
    assert _live(engine, ops.id) == 0
    assert _revocations(engine, ops.id) == ["user_disabled", "user_disabled"]
    # The account itself is back, and can make new keys.
    assert _working(client, _keys(client, "ops", 1)) == 1


def test_an_admins_password_reset_revokes_keys(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    ops = make_user(username="ops")
    keys = _keys(client, "ops")
    root = h.token(client, "root")
    answer = client.patch(f"/api/users/{ops.id}", json={"password": NEW_PASSWORD}, headers=root)
    assert answer.status_code == 200, answer.text
    assert _working(client, keys) == 0
    assert _revocations(engine, ops.id) == ["password_reset", "password_reset"]


def test_a_reset_link_revokes_keys(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="root", admin=True)
    ops = make_user(username="ops")
    keys = _keys(client, "ops")
    link = client.post(f"/api/users/{ops.id}/reset-link", headers=h.token(client, "root"))
    assert link.status_code == 200, link.text
    token = parse_qs(urlparse(link.json()["url"]).query)["token"][0]
    with Session(engine, expire_on_commit=False) as db:
        reset_links.use(db, settings=get_settings(), token=token, password=NEW_PASSWORD, ctx=CTX)
        db.commit()
    assert _working(client, keys) == 0
    assert _revocations(engine, ops.id) == ["password_reset", "password_reset"]


def test_a_password_change_on_the_profile_revokes_keys(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="ops")
    keys = _keys(client, "ops")
    with Session(engine, expire_on_commit=False) as db:
        user = db.exec(select(User).where(User.username == "ops")).one()
        profile.change_password(
            db,
            settings=get_settings(),
            user=user,
            current=PASSWORD,
            new=NEW_PASSWORD,
            ctx=CTX,
            current_session_id=None,
        )
        db.commit()
    assert _working(client, keys) == 0
    assert _revocations(engine, user.id) == ["password_changed", "password_changed"]


def test_the_cli_reset_revokes_keys(
    api_client: ApiClient,
    engine: Engine,
    make_user: MakeUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = api_client()
    ops = make_user(username="ops", email="ops@example.com")
    keys = _keys(client, "ops")
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert cli.main(["reset-password", "--email", "ops@example.com", "--password-stdin"]) == 0
    assert _working(client, keys) == 0
    assert _revocations(engine, ops.id) == ["password_reset", "password_reset"]


def test_the_superadmin_password_revokes_keys(
    api_client: ApiClient, engine: Engine, make_user: MakeUser, database_url: str
) -> None:
    client = api_client()
    boss = make_user(username="boss", email="boss@example.com", admin=True)
    keys = _keys(client, "boss")
    settings = load_settings(
        {
            "DATA_DIR": str(get_settings().data_dir),
            "JWT_SECRET": get_settings().jwt_secret,
            "DATABASE_URL": database_url,
            "AUTH_MODE": "password",
            "SUPERADMIN_EMAIL": "boss@example.com",
            "SUPERADMIN_PASSWORD": NEW_PASSWORD,
            **CHEAP_ARGON2,
        }
    )
    with Session(engine, expire_on_commit=False) as db:
        bootstrap.ensure_superadmin(db, settings=settings)
        db.commit()
    assert _working(client, keys) == 0
    assert _revocations(engine, boss.id) == ["password_reset", "password_reset"]
