"""Users: creation, validation, uniqueness, roles, passwords, lookup."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin_app.errors import EmailTaken, InvalidEmail, InvalidUsername, WeakPassword
from admin_app.models import AuditEvent, AuthSession, User
from admin_app.services.access import browser_sessions
from admin_app.services.accounts import users
from admin_app.services.accounts.hasher import passwords
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD
from tests.support.db import count_rows

NEW_PASSWORD = "a brand new passphrase for ada"


def _new(**overrides: object) -> users.NewUser:
    values: dict[str, object] = {
        "username": "ada",
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "password": PASSWORD,
    }
    values.update(overrides)
    return users.NewUser(**values)  # type: ignore[arg-type]


def _create(db: Session, settings: Settings, **overrides: object) -> User:
    user = users.create_user(db, settings=settings, data=_new(**overrides), ctx=CTX)
    db.commit()
    return user


def _events(engine: Engine, kind: str) -> list[AuditEvent]:
    with Session(engine) as fresh:
        return list(fresh.exec(select(AuditEvent).where(AuditEvent.kind == kind)).all())


# create_user


def test_create_user_stores_normalised_values(db: Session, settings: Settings) -> None:
    user = _create(db, settings, email="  Ada.Lovelace@EXAMPLE.Com ", full_name="  Ada   Lovelace ")
    assert user.id is not None
    assert user.email == "ada.lovelace@example.com"
    assert user.full_name == "Ada Lovelace"
    assert user.username == "ada"
    assert user.is_active is True
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert passwords(settings).verify(user.password_hash, PASSWORD)
    assert (
        _create(db, settings, username="bob", email="bob@x.example", password=None).password_hash
        is None
    )


@pytest.mark.both_databases
def test_a_taken_username_or_email_is_refused_in_any_case(
    db: Session, engine: Engine, settings: Settings
) -> None:
    _create(db, settings)
    for username in ("ada", "ADA", "Ada", " ada "):
        with pytest.raises(users.UsernameTaken) as refused:
            _create(db, settings, username=username, email="other@example.com")
        assert (refused.value.code, refused.value.field) == ("username_taken", "username")
    for email in ("ada@example.com", "ADA@example.com", "ada@EXAMPLE.COM", " Ada@Example.Com"):
        with pytest.raises(EmailTaken) as taken:
            _create(db, settings, username="other", email=email)
        assert (taken.value.code, taken.value.field) == ("email_taken", "email")
    db.rollback()
    assert count_rows(engine, User) == 1
    assert len(_events(engine, "user.created")) == 1


def test_create_user_refuses_an_invalid_email_or_username(
    db: Session, engine: Engine, settings: Settings
) -> None:
    with pytest.raises(InvalidEmail):
        _create(db, settings, email="not-an-email")
    with pytest.raises(InvalidUsername):
        _create(db, settings, username="ada lovelace")
    db.commit()
    assert count_rows(engine, User) == 0


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "ada@",
        "@example.com",
        "ada@@example.com",
        "",
        "ada@corp",  # a single label is no mail domain
        "ada@localhost",
        "ada@example.invalid",
        "ada@hidden.onion",
    ],
)
def test_an_invalid_email_is_refused(email: str) -> None:
    with pytest.raises(InvalidEmail) as refused:
        users.normalise_email(email)
    assert refused.value.field == "email"
    assert refused.value.message


@pytest.mark.parametrize(
    "email", ["jane@corp.local", "jane@ad.corp.internal", "Jane@Office.LAN", "jane@qa.test"]
)
def test_addresses_at_internal_mail_domains_are_accepted(email: str) -> None:
    # On-premises sites (Active Directory's .local) are where password mode is used.
    assert users.normalise_email(email) == email.lower()


@pytest.mark.parametrize(
    "username", ["ab", "a" * 33, "ada lovelace", "_ada", ".ada", "ada@home", "ädä", ""]
)
def test_an_invalid_username_is_refused(username: str) -> None:
    with pytest.raises(InvalidUsername) as refused:
        users.validate_username(username)
    assert refused.value.field == "username"


@pytest.mark.parametrize("username", ["ada", "a" * 32, "Ada.Lovelace", "ada_l-1", "1ada"])
def test_valid_usernames(username: str) -> None:
    assert users.validate_username(f" {username} ") == username


WEAK = [
    ("ada", "ada@example.com", "short"),
    ("ada", "ada@example.com", "Qwerty123456"),
    ("ada", "ada@example.com", "ADA@example.com"),
    ("adalovelace12", "ada@example.com", "ADALOVELACE12"),
    ("ada", "countess.lovelace@example.com", "Countess.Lovelace"),
]


def test_a_weak_password_raises_and_writes_nothing(
    db: Session, engine: Engine, settings: Settings
) -> None:
    for username, email, password in WEAK:
        with pytest.raises(WeakPassword):
            _create(db, settings, username=username, email=email, password=password)
    db.commit()  # even a commit after the errors finds nothing to write
    assert count_rows(engine, User) == 0
    assert count_rows(engine, AuditEvent) == 0


@pytest.mark.parametrize(("username", "email", "password"), WEAK)
def test_weak_passwords_are_caught_by_validation(
    settings: Settings, username: str, email: str, password: str
) -> None:
    data = _new(username=username, email=email, password=password)
    with pytest.raises(WeakPassword):
        users.validate_new_user(settings, data)


def test_the_password_minimum_follows_the_setting(make_settings: Callable[..., Settings]) -> None:
    strict = make_settings(PASSWORD_MIN_LENGTH=40)
    with pytest.raises(WeakPassword, match="40"):
        users.validate_new_user(strict, _new())
    users.validate_new_user(make_settings(PASSWORD_MIN_LENGTH=12), _new())


def test_roles_and_audit_of_creation(db: Session, engine: Engine, settings: Settings) -> None:
    admin = _create(db, settings, is_admin=True)
    bob = users.create_user(
        db,
        settings=settings,
        data=_new(username="bob", email="bob@example.com"),
        ctx=CTX,
        actor_id=admin.id,
    )
    db.commit()
    assert admin.id is not None and bob.id is not None
    assert users.role_names(db, admin.id) == ["Admin", "User"]
    assert users.role_names(db, bob.id) == ["User"]
    events = {e.user_id: e for e in _events(engine, "user.created")}
    assert set(events) == {admin.id, bob.id}
    first, second = events[admin.id], events[bob.id]
    assert (first.actor_id, first.ip, first.user_agent) == (None, CTX.ip, CTX.user_agent)
    assert json.loads(first.detail) == {"admin": True}
    assert second.actor_id == admin.id
    assert json.loads(second.detail) == {"admin": False}


# set_password


def test_set_password_changes_it_and_ends_every_session(
    db: Session, engine: Engine, settings: Settings
) -> None:
    user = _create(db, settings)
    bob = _create(db, settings, username="bob", email="bob@example.com")
    assert user.id is not None and bob.id is not None
    for _ in range(2):
        browser_sessions.start(db, settings=settings, user_id=user.id, ctx=CTX)
    bobs_id = browser_sessions.start(db, settings=settings, user_id=bob.id, ctx=CTX).id
    db.commit()
    users.set_password(db, settings=settings, user=user, password=NEW_PASSWORD, ctx=CTX)
    db.commit()
    with Session(engine) as fresh:
        rows = fresh.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()
        stored = fresh.get(User, user.id)
        bobs = fresh.get(AuthSession, bobs_id)
    assert len(rows) == 2
    assert all(row.revoked_at is not None for row in rows)
    assert bobs is not None and bobs.revoked_at is None  # only this user is signed out
    assert stored is not None
    assert passwords(settings).verify(stored.password_hash, NEW_PASSWORD)
    assert not passwords(settings).verify(stored.password_hash, PASSWORD)
    (event,) = _events(engine, "password.changed")
    assert event.user_id == user.id


def test_set_password_refuses_a_weak_one_and_changes_nothing(
    db: Session, engine: Engine, settings: Settings
) -> None:
    user = _create(db, settings)
    assert user.id is not None
    row = browser_sessions.start(db, settings=settings, user_id=user.id, ctx=CTX)
    db.commit()
    before = user.password_hash
    with pytest.raises(WeakPassword):
        users.set_password(db, settings=settings, user=user, password="ada", ctx=CTX)
    with pytest.raises(WeakPassword):
        users.set_password(db, settings=settings, user=user, password="ada@example.com", ctx=CTX)
    db.commit()
    with Session(engine) as fresh:
        stored = fresh.get(User, user.id)
        kept = fresh.get(AuthSession, row.id)
    assert stored is not None and stored.password_hash == before
    assert kept is not None and kept.revoked_at is None
    assert _events(engine, "password.changed") == []


def test_set_password_records_the_given_kind_and_actor(
    db: Session, engine: Engine, settings: Settings
) -> None:
    admin = _create(db, settings, username="root", email="root@example.com", is_admin=True)
    user = _create(db, settings)
    users.set_password(
        db,
        settings=settings,
        user=user,
        password=NEW_PASSWORD,
        ctx=CTX,
        actor_id=admin.id,
        kind="password.reset",
    )
    db.commit()
    (event,) = _events(engine, "password.reset")
    assert (event.user_id, event.actor_id) == (user.id, admin.id)


# find_by_identifier


@pytest.mark.both_databases
def test_find_by_identifier_takes_email_or_username_in_any_case(
    db: Session, settings: Settings
) -> None:
    user = _create(db, settings, email="Ada.Lovelace@example.com")
    _create(db, settings, username="bob", email="bob@example.com")
    for identifier in (
        "ada",
        "ADA",
        " Ada ",
        "Ada.Lovelace@example.com",
        "ada.lovelace@EXAMPLE.COM",
        "ADA.LOVELACE@example.com",
    ):
        found = users.find_by_identifier(db, identifier)
        assert found is not None and found.id == user.id, identifier
    for identifier in ("", "   ", "carol", "carol@example.com", "ad", "ada@elsewhere.example"):
        assert users.find_by_identifier(db, identifier) is None, identifier
    assert users.find_by_identifier(db, "x" * 400) is None


@pytest.mark.both_databases
def test_a_non_ascii_capital_in_an_email_is_found_and_unique(
    db: Session, settings: Settings
) -> None:
    user = _create(db, settings, email="Élise@example.com")
    for identifier in ("Élise@example.com", "élise@example.com"):
        found = users.find_by_identifier(db, identifier)
        assert found is not None and found.id == user.id, identifier
    with pytest.raises(EmailTaken):
        _create(db, settings, username="other", email="élise@example.com")
