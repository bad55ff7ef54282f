"""Per-user MFA: switchable in password mode only, and turning it off needs proof."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.api.errors import status_of
from admin_app.errors import InvalidCredentials, MfaFixed, UnknownCodeSession, WrongCode
from admin_app.models import User
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.signin import mfa, stages
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD
from tests.support.smtp import SmtpServer

MakeUser = Callable[..., User]
Travel = Callable[[float], None]


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings("password")


def _mfa_on(engine: Engine, user: User) -> bool:
    with Session(engine) as fresh:
        stored = fresh.get(User, user.id)
        assert stored is not None
        return stored.mfa_enabled


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_enable_then_sign_in_needs_a_code(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    user = make_user(username="ada", email="ada@example.com")
    assert not mfa.always_on(settings)
    first = stages.begin(db, settings=settings, identifier="ada", password=PASSWORD, ctx=CTX)
    assert isinstance(first, User)

    mfa.enable(db, settings=settings, user=user, ctx=CTX)
    db.commit()
    assert _mfa_on(engine, user)
    second = stages.begin(db, settings=settings, identifier="ada", password=PASSWORD, ctx=CTX)
    db.commit()
    assert isinstance(second, CodeSent)
    assert second.purpose == "mfa"
    assert "verification" in str(smtp_server.inbox.wait_for("ada@example.com")["Subject"])


def test_disable_with_the_password(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(mfa=True)
    with pytest.raises(InvalidCredentials) as wrong:
        mfa.disable_with_password(
            db, settings=settings, user=user, password=PASSWORD + "x", ctx=CTX
        )
    db.rollback()
    assert wrong.value.field == "password"
    assert _mfa_on(engine, user)

    mfa.disable_with_password(db, settings=settings, user=user, password=PASSWORD, ctx=CTX)
    db.commit()
    assert not _mfa_on(engine, user)


def test_disable_with_a_fresh_code(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    user = make_user(email="ada@example.com", mfa=True)
    sent = mfa.send_disable_code(db, settings=settings, user=user, ctx=CTX)
    db.commit()
    assert sent.purpose == "confirm"
    mail = smtp_server.inbox.wait_for("ada@example.com")
    assert "confirmation" in str(mail["Subject"])
    code = smtp_server.inbox.code_for("ada@example.com")

    with pytest.raises(WrongCode):
        mfa.disable_with_code(
            db,
            settings=settings,
            user=user,
            otp_session_id=sent.otp_session_id,
            code=_wrong(code),
            ctx=CTX,
        )
    db.rollback()
    assert _mfa_on(engine, user)

    mfa.disable_with_code(
        db, settings=settings, user=user, otp_session_id=sent.otp_session_id, code=code, ctx=CTX
    )
    db.commit()
    assert not _mfa_on(engine, user)


def test_a_code_for_something_else_or_someone_else_does_not_disable(
    db: Session,
    engine: Engine,
    settings: Settings,
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    ada = make_user(username="ada", email="ada@example.com", mfa=True)
    bob = make_user(username="bob", email="bob@example.com", mfa=True)

    # Bob's own disable code cannot switch off Ada's MFA.
    bobs = mfa.send_disable_code(db, settings=settings, user=bob, ctx=CTX)
    db.commit()
    bob_code = smtp_server.inbox.code_for("bob@example.com")
    with pytest.raises(UnknownCodeSession):
        mfa.disable_with_code(
            db,
            settings=settings,
            user=ada,
            otp_session_id=bobs.otp_session_id,
            code=bob_code,
            ctx=CTX,
        )
    db.rollback()

    # Nor can a sign-in code of Ada's own.
    signin_code = stages.begin(db, settings=settings, identifier="ada", password=PASSWORD, ctx=CTX)
    db.commit()
    assert isinstance(signin_code, CodeSent)
    with pytest.raises(UnknownCodeSession):
        mfa.disable_with_code(
            db,
            settings=settings,
            user=ada,
            otp_session_id=signin_code.otp_session_id,
            code=smtp_server.inbox.code_for("ada@example.com"),
            ctx=CTX,
        )
    db.rollback()
    assert _mfa_on(engine, ada) and _mfa_on(engine, bob)


@pytest.mark.parametrize("auth_mode", ["otp", "password+otp"])
def test_mfa_is_fixed_on_in_the_code_modes(
    db: Session,
    engine: Engine,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    smtp_server: SmtpServer,
    auth_mode: str,
) -> None:
    fixed = mail_settings(auth_mode)
    user = make_user(mfa=False)
    other = make_user(mfa=True)
    assert mfa.always_on(fixed)
    attempts: list[Callable[[], object]] = [
        lambda: mfa.enable(db, settings=fixed, user=user, ctx=CTX),
        lambda: mfa.disable_with_password(
            db, settings=fixed, user=other, password=PASSWORD, ctx=CTX
        ),
        lambda: mfa.send_disable_code(db, settings=fixed, user=other, ctx=CTX),
        lambda: mfa.disable_with_code(
            db, settings=fixed, user=other, otp_session_id="x", code="123456", ctx=CTX
        ),
    ]
    for attempt in attempts:
        with pytest.raises(MfaFixed) as fixed_on:
            attempt()
        assert (fixed_on.value.code, status_of(fixed_on.value)) == ("mfa_always_on", 409)
        db.rollback()
    assert smtp_server.inbox.messages == []
    assert (_mfa_on(engine, user), _mfa_on(engine, other)) == (False, True)


def test_a_disable_code_never_signs_anyone_in(
    db: Session, settings: Settings, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    user = make_user(email="ada@example.com", mfa=True)
    sent = mfa.send_disable_code(db, settings=settings, user=user, ctx=CTX)
    db.commit()
    code = smtp_server.inbox.code_for("ada@example.com")
    # Handed to the sign-in's second stage, it would skip the password.
    with pytest.raises(UnknownCodeSession):
        stages.complete(
            db, settings=settings, otp_session_id=sent.otp_session_id, code=code, ctx=CTX
        )
    db.rollback()
    # It still does its own job.
    mfa.disable_with_code(
        db, settings=settings, user=user, otp_session_id=sent.otp_session_id, code=code, ctx=CTX
    )
    db.commit()
