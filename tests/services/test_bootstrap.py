"""The superadmin from SUPERADMIN_EMAIL / SUPERADMIN_PASSWORD, at every start."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin_app.models import AuditEvent, AuthSession, User
from admin_app.services.access import browser_sessions
from admin_app.services.accounts import users
from admin_app.services.accounts.bootstrap import ensure_superadmin
from admin_app.services.accounts.hasher import passwords
from admin_app.settings import Settings, SettingsError
from tests.conftest import CTX
from tests.support.db import count_rows

MakeSettings = Callable[..., Settings]
BOSS = "Boss@Example.COM"
FIRST = "first superadmin passphrase"
SECOND = "second superadmin passphrase"


def _boss(engine: Engine) -> User | None:
    with Session(engine) as fresh:
        return fresh.exec(select(User).where(func.lower(User.email) == "boss@example.com")).first()


def _run(engine: Engine, settings: Settings) -> None:
    # As at start-up: its own session, committed.
    with Session(engine) as own:
        ensure_superadmin(own, settings=settings)
        own.commit()


def _kinds(engine: Engine) -> list[str]:
    with Session(engine) as fresh:
        return list(fresh.exec(select(AuditEvent.kind).order_by(AuditEvent.id)).all())


def test_creates_the_superadmin_as_an_admin(engine: Engine, make_settings: MakeSettings) -> None:
    _run(engine, make_settings(AUTH_MODE="otp", SUPERADMIN_EMAIL=BOSS))
    boss = _boss(engine)
    assert boss is not None and boss.id is not None
    assert boss.email == "boss@example.com"  # normalised: lower-cased whole
    assert boss.username == "boss"
    assert boss.is_active is True
    assert boss.password_hash is None
    with Session(engine) as fresh:
        assert users.role_names(fresh, boss.id) == ["Admin", "User"]
    assert _kinds(engine) == ["user.created"]


def test_is_idempotent_and_does_not_sign_the_admin_out(
    engine: Engine, make_settings: MakeSettings
) -> None:
    settings = make_settings(AUTH_MODE="password", SUPERADMIN_EMAIL=BOSS, SUPERADMIN_PASSWORD=FIRST)
    _run(engine, settings)
    boss = _boss(engine)
    assert boss is not None and boss.id is not None
    with Session(engine) as own:
        session_id = browser_sessions.start(own, settings=settings, user_id=boss.id, ctx=CTX).id
        own.commit()
    _run(engine, settings)
    _run(engine, settings)
    assert count_rows(engine, User) == 1
    again = _boss(engine)
    assert again is not None and again.password_hash == boss.password_hash
    with Session(engine) as fresh:
        kept = fresh.get(AuthSession, session_id)
        assert users.role_names(fresh, boss.id) == ["Admin", "User"]
    assert kept is not None and kept.revoked_at is None
    assert _kinds(engine) == ["user.created"]


@pytest.mark.both_databases
def test_an_existing_user_is_made_admin(
    engine: Engine, make_settings: MakeSettings, make_user: Callable[..., User]
) -> None:
    user = make_user(username="chief", email="boss@example.com")
    assert user.id is not None
    _run(engine, make_settings(AUTH_MODE="otp", SUPERADMIN_EMAIL=BOSS))
    assert count_rows(engine, User) == 1
    with Session(engine) as fresh:
        assert users.role_names(fresh, user.id) == ["Admin", "User"]
        stored = fresh.get(User, user.id)
    assert stored is not None and stored.username == "chief"
    assert _kinds(engine)[-1] == "role.granted"


@pytest.mark.both_databases
def test_a_taken_username_gets_a_suffix(
    engine: Engine, make_settings: MakeSettings, make_user: Callable[..., User]
) -> None:
    make_user(username="boss", email="someone.else@example.com")
    _run(engine, make_settings(AUTH_MODE="otp", SUPERADMIN_EMAIL=BOSS))
    boss = _boss(engine)
    assert boss is not None and boss.username.lower() == "boss2"


def test_the_password_is_set_in_password_modes(engine: Engine, make_settings: MakeSettings) -> None:
    for mode, email in (("password", BOSS), ("password+otp", "other.boss@example.com")):
        settings = make_settings(AUTH_MODE=mode, SUPERADMIN_EMAIL=email, SUPERADMIN_PASSWORD=FIRST)
        _run(engine, settings)
        with Session(engine) as fresh:
            admin = users.find_by_identifier(fresh, email)
        assert admin is not None, mode
        assert passwords(settings).verify(admin.password_hash, FIRST), mode


def test_the_password_is_ignored_in_otp_mode(engine: Engine, make_settings: MakeSettings) -> None:
    # Even a password the policy would refuse: it is not used, so it stops nothing.
    for password in (FIRST, "short"):
        settings = make_settings(
            AUTH_MODE="otp", SUPERADMIN_EMAIL=BOSS, SUPERADMIN_PASSWORD=password
        )
        _run(engine, settings)
        boss = _boss(engine)
        assert boss is not None and boss.password_hash is None


def test_the_password_sets_an_existing_users_password(
    engine: Engine, make_settings: MakeSettings, make_user: Callable[..., User]
) -> None:
    user = make_user(username="chief", email="boss@example.com", password=None)
    settings = make_settings(AUTH_MODE="password", SUPERADMIN_EMAIL=BOSS, SUPERADMIN_PASSWORD=FIRST)
    _run(engine, settings)
    stored = _boss(engine)
    assert stored is not None and stored.id == user.id
    assert passwords(settings).verify(stored.password_hash, FIRST)


def test_a_weak_password_stops_start_up_and_writes_nothing(
    engine: Engine, make_settings: MakeSettings
) -> None:
    for password, reason in (
        ("too short", "at least 12 characters"),
        ("qwerty123456", "too common"),
        ("boss@example.com", "differ from your username and email"),
    ):
        settings = make_settings(
            AUTH_MODE="password", SUPERADMIN_EMAIL=BOSS, SUPERADMIN_PASSWORD=password
        )
        with pytest.raises(SettingsError) as refused:
            _run(engine, settings)
        message = str(refused.value)
        assert message.startswith("SUPERADMIN_PASSWORD is refused:"), message
        assert reason in message
    assert count_rows(engine, User) == 0
    assert count_rows(engine, AuditEvent) == 0


def test_a_weak_password_does_not_touch_an_existing_admin(
    engine: Engine, make_settings: MakeSettings, make_user: Callable[..., User]
) -> None:
    # Equal to the existing user's username, which the policy checks too.
    user = make_user(username="chief.of.staff", email="boss@example.com")
    settings = make_settings(
        AUTH_MODE="password", SUPERADMIN_EMAIL=BOSS, SUPERADMIN_PASSWORD="Chief.Of.Staff"
    )
    with pytest.raises(SettingsError, match=r"SUPERADMIN_PASSWORD is refused: .*differ"):
        _run(engine, settings)
    stored = _boss(engine)
    assert stored is not None and stored.password_hash == user.password_hash
    with Session(engine) as fresh:
        assert stored.id is not None
        assert users.role_names(fresh, stored.id) == ["User"]


def test_no_superadmin_email_does_nothing_and_an_invalid_one_stops_start_up(
    engine: Engine, make_settings: MakeSettings
) -> None:
    _run(engine, make_settings())
    assert count_rows(engine, User) == 0
    with pytest.raises(SettingsError, match="SUPERADMIN_EMAIL"):
        _run(engine, make_settings(SUPERADMIN_EMAIL="not-an-address"))
    assert count_rows(engine, User) == 0


def test_a_new_password_later_resets_it_and_signs_out(
    engine: Engine, make_settings: MakeSettings
) -> None:
    first = make_settings(AUTH_MODE="password", SUPERADMIN_EMAIL=BOSS, SUPERADMIN_PASSWORD=FIRST)
    _run(engine, first)
    boss = _boss(engine)
    assert boss is not None and boss.id is not None
    with Session(engine) as own:
        session_id = browser_sessions.start(own, settings=first, user_id=boss.id, ctx=CTX).id
        own.commit()
    second = make_settings(AUTH_MODE="password", SUPERADMIN_EMAIL=BOSS, SUPERADMIN_PASSWORD=SECOND)
    _run(engine, second)
    stored = _boss(engine)
    assert stored is not None
    assert passwords(second).verify(stored.password_hash, SECOND)
    assert not passwords(second).verify(stored.password_hash, FIRST)
    with Session(engine) as fresh:
        ended = fresh.get(AuthSession, session_id)
    assert ended is not None and ended.revoked_at is not None
    assert _kinds(engine) == ["user.created", "password.reset"]
