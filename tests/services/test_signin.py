"""Sign-in stages: the password check and the browser hand-off."""

from __future__ import annotations

import json
from collections.abc import Callable

import argon2
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin_app.api.errors import status_of
from admin_app.errors import AccountDisabled, InvalidCredentials
from admin_app.models import AuditEvent, AuthSession, User
from admin_app.services.access import browser_sessions
from admin_app.services.accounts.hasher import passwords
from admin_app.services.signin import handover, password_stage
from admin_app.settings import Settings
from tests.conftest import CTX, DEFAULT_ARGON2, PASSWORD

MakeUser = Callable[..., User]


def _events(engine: Engine, kind: str) -> list[AuditEvent]:
    with Session(engine) as fresh:
        query = select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)
        return list(fresh.exec(query).all())


def _check(db: Session, settings: Settings, identifier: str, password: str) -> User:
    return password_stage.check_password(
        db, settings=settings, identifier=identifier, password=password, ctx=CTX
    )


@pytest.mark.both_databases
def test_the_right_password_by_email_or_username(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="ada", email="Ada@example.com")
    for identifier in ("ada", "ADA", "Ada@example.com", "ada@EXAMPLE.com", " ada "):
        assert _check(db, settings, identifier, PASSWORD).id == user.id, identifier
    fullwidth = "ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ ｓｔａｐｌｅ"  # NFKC gives PASSWORD
    assert _check(db, settings, "ada", fullwidth).id == user.id


def test_wrong_password_and_unknown_user_look_the_same(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="ada", email="ada@example.com")
    with pytest.raises(InvalidCredentials) as wrong:
        _check(db, settings, "ada", PASSWORD + "!")
    db.rollback()
    with pytest.raises(InvalidCredentials) as unknown:
        _check(db, settings, "nobody@example.com", PASSWORD)
    db.rollback()
    assert type(wrong.value) is type(unknown.value) is InvalidCredentials
    assert str(wrong.value) == str(unknown.value) == "Wrong email, username or password."
    assert wrong.value.code == unknown.value.code == "invalid_credentials"
    assert status_of(wrong.value) == status_of(unknown.value) == 401
    assert wrong.value.field == unknown.value.field

    # Both failures are on record, in a fresh session, after the caller's rollback.
    failed = _events(engine, "signin.failed")
    assert [(e.user_id, json.loads(e.detail)["identifier"]) for e in failed] == [
        (user.id, "ada"),
        (None, "nobody@example.com"),
    ]
    assert {(e.ip, e.user_agent) for e in failed} == {(CTX.ip, CTX.user_agent)}


def test_an_unknown_user_still_pays_one_argon2_verify(
    db: Session, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    # At the default argon2id cost: the dummy hash must cost what a real one does.
    settings = make_settings(**DEFAULT_ARGON2)
    calls: list[str] = []
    original = argon2.PasswordHasher.verify

    def counting(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append(str(hash))
        return original(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    with pytest.raises(InvalidCredentials):
        _check(db, settings, "nobody", PASSWORD)
    assert len(calls) == 1
    assert calls[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_user_without_a_password_cannot_sign_in_with_one(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    make_user(username="ada", password=None)
    for attempt in ("", PASSWORD, "dummy password for timing equality"):
        with pytest.raises(InvalidCredentials):
            _check(db, settings, "ada", attempt)


def test_a_disabled_user_is_told_only_after_the_right_password(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="ada", active=False)
    with pytest.raises(InvalidCredentials):
        _check(db, settings, "ada", "not the password at all")
    with pytest.raises(AccountDisabled) as disabled:
        _check(db, settings, "ada", PASSWORD)
    assert disabled.value.code == "account_disabled"
    db.rollback()
    (refused,) = _events(engine, "signin.refused")
    assert refused.user_id == user.id
    assert json.loads(refused.detail) == {"reason": "disabled"}
    assert len(_events(engine, "signin.failed")) == 1


def test_a_stale_hash_is_upgraded_at_sign_in(
    db: Session, engine: Engine, make_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    # Hashed at the default argon2id cost, then signed in with a stronger one.
    user = make_user(username="ada", settings=make_settings(**DEFAULT_ARGON2))
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    stronger = make_settings(ARGON2_MEMORY_KIB=8 * 1024, ARGON2_TIME_COST=3)
    _check(db, stronger, "ada", PASSWORD)
    db.commit()
    with Session(engine) as fresh:
        stored = fresh.get(User, user.id)
    assert stored is not None and stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$v=19$m=8192,t=3,p=1$")
    assert passwords(stronger).verify(stored.password_hash, PASSWORD)
    assert not passwords(stronger).needs_rehash(stored.password_hash)


def test_no_rehash_for_a_current_hash_or_a_wrong_password(
    db: Session,
    engine: Engine,
    settings: Settings,
    make_settings: Callable[..., Settings],
    make_user: MakeUser,
) -> None:
    user = make_user(username="ada")
    before = user.password_hash
    _check(db, settings, "ada", PASSWORD)
    db.commit()
    with pytest.raises(InvalidCredentials):
        _check(db, make_settings(ARGON2_MEMORY_KIB=8 * 1024), "ada", "wrong password here")
    db.commit()
    with Session(engine) as fresh:
        stored = fresh.get(User, user.id)
    assert stored is not None and stored.password_hash == before


def test_browser_ticket_opens_a_session_and_records_it(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="ada")
    ticket = handover.browser_ticket(db, settings=settings, user=user, ctx=CTX, method="password")
    db.commit()
    assert isinstance(ticket, str) and len(ticket) >= 32
    (event,) = _events(engine, "signin.succeeded")
    assert event.user_id == user.id
    assert json.loads(event.detail) == {"method": "password"}
    with Session(engine) as fresh:
        (row,) = fresh.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert row.revoked_at is None
    assert (row.ip, row.user_agent) == (CTX.ip, CTX.user_agent)
    cookie = browser_sessions.redeem_handoff(db, settings=settings, ticket=ticket)
    db.commit()
    me = browser_sessions.current_user(db, settings=settings, token=cookie)
    assert me is not None
    assert (me.user_id, me.session_id) == (user.id, row.id)
