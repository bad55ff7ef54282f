"""API keys (SPEC section 7): shape, storage, permissions, expiry, revocation, the owner's fate."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app.api.errors import status_of
from admin_app.clock import now
from admin_app.errors import MissingPermissions, NotAuthenticated, NotFound, ValidationFailed
from admin_app.models import ApiKey, AuditEvent, User
from admin_app.services.access import api_keys
from admin_app.services.access.principals import Principal
from admin_app.services.admin import manage
from tests.conftest import CTX, KEY_SETTINGS
from tests.support.db import principal_of

MakeUser = Callable[..., User]
Travel = Callable[[float], None]
KEY_RE = re.compile(r"ak_([0-9a-f]+)_([A-Za-z0-9_-]+)")


def _create(
    db: Session,
    owner: User,
    wanted: list[str],
    *,
    name: str = "ci",
    expires_at: dt.datetime | None = None,
) -> api_keys.CreatedKey:
    created = api_keys.create(
        db,
        settings=KEY_SETTINGS,
        owner=principal_of(db, owner),
        name=name,
        wanted=wanted,
        expires_at=expires_at,
        ctx=CTX,
    )
    db.commit()
    return created


def _authenticate(db: Session, key: str) -> Principal:
    try:
        principal = api_keys.authenticate(db, key=key)
    except Exception:
        db.rollback()
        raise
    db.commit()
    return principal


def _row(engine: Engine, key_id: int) -> ApiKey:
    with Session(engine) as fresh:
        row = fresh.get(ApiKey, key_id)
        assert row is not None
        return row


def test_a_key_has_its_shape_and_only_a_hash_and_the_prefix_are_stored(
    db: Session, engine: Engine, make_user: MakeUser
) -> None:
    admin = make_user(password=None, admin=True)
    created = _create(db, admin, ["users:read", "users:read"], name="  deploy   bot ")
    match = KEY_RE.fullmatch(created.key)
    assert match is not None, created.key
    prefix, secret = match.groups()
    assert prefix == created.prefix
    assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) >= 32
    assert created.permissions == ["users:read"]
    assert created.expires_at is None

    row = _row(engine, created.id)
    assert row.prefix == prefix
    assert row.key_hash == hashlib.sha256(created.key.encode()).hexdigest()
    assert row.name == "deploy bot"
    assert row.user_id == admin.id
    stored = " ".join(str(value) for value in row.model_dump().values())
    assert created.key not in stored
    assert secret not in stored

    other = _create(db, admin, ["users:read"])
    assert (other.key, other.prefix) != (created.key, created.prefix)


def test_a_key_acts_with_its_own_permissions_and_records_its_use(
    db: Session, engine: Engine, make_user: MakeUser
) -> None:
    admin = make_user(password=None, admin=True)
    created = _create(db, admin, ["users:read", "audit:read"])
    assert _row(engine, created.id).last_used_at is None

    before = now()
    principal = _authenticate(db, created.key)
    assert principal.user_id == admin.id
    assert principal.via_key is True
    assert principal.permissions == ["audit:read", "users:read"]
    used = _row(engine, created.id).last_used_at
    assert used is not None and before <= used <= now()

    assert api_keys.list_for(db, user_id=admin.id or 0)[0].last_used_at == used


def test_last_use_is_rewritten_at_most_once_a_minute(
    db: Session, engine: Engine, make_user: MakeUser, travel: Travel
) -> None:
    admin = make_user(password=None, admin=True)
    created = _create(db, admin, ["users:read"])
    _authenticate(db, created.key)
    first = _row(engine, created.id).last_used_at
    travel(30)
    _authenticate(db, created.key)
    assert _row(engine, created.id).last_used_at == first
    travel(40)
    _authenticate(db, created.key)
    later = _row(engine, created.id).last_used_at
    assert first is not None and later is not None
    assert later - first >= dt.timedelta(seconds=70)


def test_a_key_cannot_hold_what_its_owner_does_not(
    db: Session, engine: Engine, make_user: MakeUser
) -> None:
    plain = make_user(password=None)
    with pytest.raises(MissingPermissions) as caught:
        _create(db, plain, ["users:read", "api_keys:write", "audit:read"])
    db.rollback()
    assert caught.value.missing == ["audit:read", "users:read"]
    assert (caught.value.code, status_of(caught.value)) == ("permission_not_held", 403)
    assert "audit:read" in caught.value.message and "users:read" in caught.value.message
    assert "api_keys:write" not in caught.value.message

    # What the owner does hold is fine, and so is nothing at all.
    assert _create(db, plain, ["api_keys:write"]).permissions == ["api_keys:write"]
    assert _create(db, plain, []).permissions == []
    with Session(engine) as fresh:
        assert len(fresh.exec(select(ApiKey)).all()) == 2


def test_unknown_permissions_and_bad_names_are_refused(
    db: Session, engine: Engine, make_user: MakeUser
) -> None:
    admin = make_user(password=None, admin=True)
    for wanted in (["users:delete"], ["users:read", "root"], ["USERS:READ"]):
        with pytest.raises(ValidationFailed) as caught:
            _create(db, admin, wanted)
        db.rollback()
        assert (status_of(caught.value), caught.value.field) == (422, "permissions"), wanted
    for name in ("", "   ", "x" * 101):
        with pytest.raises(ValidationFailed) as caught:
            _create(db, admin, ["users:read"], name=name)
        db.rollback()
        assert caught.value.field == "name", name
    with Session(engine) as fresh:
        assert fresh.exec(select(ApiKey)).all() == []


def test_a_key_dies_at_its_expiry(db: Session, make_user: MakeUser, travel: Travel) -> None:
    admin = make_user(password=None, admin=True)
    created = _create(db, admin, ["users:read"], expires_at=now() + dt.timedelta(hours=1))
    assert created.expires_at is not None
    travel(3600 - 5)
    assert _authenticate(db, created.key).permissions == ["users:read"]
    travel(10)
    with pytest.raises(NotAuthenticated):
        _authenticate(db, created.key)


def test_an_expiry_must_lie_in_the_future(db: Session, make_user: MakeUser) -> None:
    admin = make_user(password=None, admin=True)
    with pytest.raises(ValidationFailed) as caught:
        _create(db, admin, ["users:read"], expires_at=now() - dt.timedelta(seconds=1))
    assert caught.value.field == "expires_at"
    db.rollback()
    # A naive expiry is read as UTC.
    naive = (now() + dt.timedelta(days=1)).replace(tzinfo=None)
    created = _create(db, admin, ["users:read"], expires_at=naive)
    assert created.expires_at == naive.replace(tzinfo=dt.UTC)


def test_a_revoked_key_stops_at_once_and_leaves_the_list(
    db: Session, engine: Engine, make_user: MakeUser
) -> None:
    admin = make_user(password=None, admin=True)
    kept = _create(db, admin, ["users:read"], name="kept")
    doomed = _create(db, admin, ["users:read"], name="doomed")
    _authenticate(db, doomed.key)
    assert {k.name for k in api_keys.list_for(db, user_id=admin.id or 0)} == {"kept", "doomed"}

    api_keys.revoke(db, user_id=admin.id or 0, key_id=doomed.id, ctx=CTX)
    db.commit()
    with pytest.raises(NotAuthenticated):
        _authenticate(db, doomed.key)
    assert [k.name for k in api_keys.list_for(db, user_id=admin.id or 0)] == ["kept"]
    assert _authenticate(db, kept.key).user_id == admin.id
    assert _row(engine, doomed.id).revoked_at is not None
    # Twice is not found, like any key that is not live.
    with pytest.raises(NotFound):
        api_keys.revoke(db, user_id=admin.id or 0, key_id=doomed.id, ctx=CTX)


def test_nobody_revokes_another_users_key(db: Session, make_user: MakeUser) -> None:
    owner = make_user(password=None, admin=True)
    other = make_user(password=None, admin=True)
    created = _create(db, owner, ["users:read"])
    with pytest.raises(NotFound):
        api_keys.revoke(db, user_id=other.id or 0, key_id=created.id, ctx=CTX)
    db.rollback()
    assert _authenticate(db, created.key).user_id == owner.id
    assert api_keys.list_for(db, user_id=other.id or 0) == []


def test_a_key_never_outlives_its_owners_demotion_or_disabling(
    db: Session, make_user: MakeUser
) -> None:
    owner = make_user(password=None, admin=True)
    boss = make_user(password=None, admin=True)
    created = _create(db, owner, ["users:read", "api_keys:write"])

    manage.update(
        db,
        actor=principal_of(db, boss),
        user_id=owner.id or 0,
        changes=manage.UserChanges(is_admin=False),
        ctx=CTX,
        settings=KEY_SETTINGS,
    )
    db.commit()
    # The owner keeps api_keys:write as a plain User; users:read is gone.
    assert _authenticate(db, created.key).permissions == ["api_keys:write"]

    manage.update(
        db,
        actor=principal_of(db, boss),
        user_id=owner.id or 0,
        changes=manage.UserChanges(is_active=False),
        ctx=CTX,
        settings=KEY_SETTINGS,
    )
    db.commit()
    with pytest.raises(NotAuthenticated):
        _authenticate(db, created.key)


def test_a_wrong_key_is_refused(db: Session, make_user: MakeUser) -> None:
    admin = make_user(password=None, admin=True)
    key = _create(db, admin, ["users:read"]).key
    _, prefix, secret = key.split("_", 2)
    for wrong in [
        key[:-1] + ("A" if key[-1] != "A" else "B"),
        f"ak_0{prefix}_{secret}",
        f"ak_{prefix}",
        f"ak__{secret}",
        f"ak_{prefix}_",
        "",
        "ak_" + "a" * 300,
        f"pk_{prefix}_{secret}",
    ]:
        with pytest.raises(NotAuthenticated):
            _authenticate(db, wrong)
    assert _authenticate(db, f"  {key} ").user_id == admin.id


def test_creation_and_revocation_are_audited(
    db: Session, engine: Engine, make_user: MakeUser
) -> None:
    admin = make_user(password=None, admin=True)
    created = _create(db, admin, ["audit:read"])
    api_keys.revoke(db, user_id=admin.id or 0, key_id=created.id, ctx=CTX)
    db.commit()
    with Session(engine) as fresh:
        rows = fresh.exec(
            select(AuditEvent)
            .where(col(AuditEvent.kind).startswith("api_key."))
            .order_by(col(AuditEvent.id))
        ).all()
    assert [(r.kind, r.user_id, r.ip) for r in rows] == [
        ("api_key.created", admin.id, CTX.ip),
        ("api_key.revoked", admin.id, CTX.ip),
    ]
    assert created.key not in " ".join(r.detail for r in rows)
