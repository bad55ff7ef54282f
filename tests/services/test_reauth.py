"""Proof for password changes and MFA off; current-password checks spend the account's budget."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.errors import InvalidCredentials, PasswordsOff, ProofNeeded, RateLimited
from admin_app.models import User
from admin_app.services.access import browser_sessions
from admin_app.services.accounts import profile
from admin_app.services.signin import mfa, password_stage
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD
from tests.support.smtp import SmtpServer

MakeUser = Callable[..., User]
Travel = Callable[[float], None]
NEW_PASSWORD = "a brand new passphrase for ada"


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings("password")


def _session_id(db: Session, settings: Settings, user: User) -> str:
    assert user.id is not None
    row = browser_sessions.start(db, settings=settings, user_id=user.id, ctx=CTX)
    db.commit()
    return row.id


def _change(db: Session, settings: Settings, user: User, **kwargs: object) -> None:
    values: dict[str, object] = {"current": "", "new": NEW_PASSWORD, "current_session_id": None}
    values.update(kwargs)
    profile.change_password(db, settings=settings, user=user, ctx=CTX, **values)  # type: ignore[arg-type]
    db.commit()


def test_a_user_without_a_password_needs_proof_to_set_one(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel, smtp_server: SmtpServer
) -> None:
    user = make_user(email="ada@example.com", password=None)
    old_session = _session_id(db, settings, user)
    travel(11 * 60)
    with pytest.raises(ProofNeeded):
        _change(db, settings, user, current_session_id=old_session)
    db.rollback()

    sent = profile.send_password_code(db, settings=settings, user=user, ctx=CTX)
    db.commit()
    code = smtp_server.inbox.code_for("ada@example.com")
    _change(
        db,
        settings,
        user,
        current_session_id=old_session,
        otp_session_id=sent.otp_session_id,
        code=code,
    )
    assert password_stage.check_password(
        db, settings=settings, identifier="ada@example.com", password=NEW_PASSWORD, ctx=CTX
    )


def test_a_recent_sign_in_is_proof_enough(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(email="ada@example.com", password=None)
    _change(db, settings, user, current_session_id=_session_id(db, settings, user))


def test_wrong_current_passwords_spend_the_sign_in_budget(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="ada", email="ada@example.com")
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            _change(db, settings, user, current="not the password")
        db.rollback()
    # The right one now waits, and so does a password sign-in of the account.
    with pytest.raises(RateLimited):
        _change(db, settings, user, current=PASSWORD)
    db.rollback()
    with pytest.raises(RateLimited):
        password_stage.check_password(
            db, settings=settings, identifier="ada", password=PASSWORD, ctx=CTX
        )


def test_turning_mfa_off_by_password_spends_the_same_budget(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="ada", email="ada@example.com", mfa=True)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            mfa.disable_with_password(
                db, settings=settings, user=user, password="not the password", ctx=CTX
            )
        db.rollback()
    with pytest.raises(RateLimited):
        mfa.disable_with_password(db, settings=settings, user=user, password=PASSWORD, ctx=CTX)


def test_no_password_changes_in_otp_mode(
    db: Session, make_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    user = make_user(email="ada@example.com")
    otp = make_settings(AUTH_MODE="otp")
    with pytest.raises(PasswordsOff):
        _change(db, otp, user, current=PASSWORD)


def test_the_owner_is_told_by_mail(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    user = make_user(email="ada@example.com")
    _change(db, settings, user, current=PASSWORD)
    mail = smtp_server.inbox.wait_for("ada@example.com")
    assert "password was changed" in str(mail["Subject"])
    text = smtp_server.inbox.text(mail)
    assert "signed out" in text and "API keys were revoked" in text
