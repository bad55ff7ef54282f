"""Self sign-up: a mailed code first, the account only when the code comes back."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from admin_app.api.errors import status_of
from admin_app.errors import (
    EmailTaken,
    InvalidEmail,
    InvalidUsername,
    SignupDisabled,
    UsernameTaken,
    WeakPassword,
    WrongCode,
)
from admin_app.models import OneTimeCode, User
from admin_app.services.accounts import signup, users
from admin_app.services.accounts.hasher import passwords
from admin_app.services.email_codes import code_store
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.signin import stages
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD
from tests.support.smtp import Inbox, SmtpServer

MakeUser = Callable[..., User]
Mode = Callable[..., Settings]


@pytest.fixture
def mode(mail_settings: Mode) -> Mode:
    """Settings for an AUTH_MODE whose mail goes to the test SMTP server."""
    return mail_settings


def _new(
    username: str = "ada",
    email: str = "ada@example.com",
    password: str | None = PASSWORD,
    full_name: str = "Ada Lovelace",
) -> users.NewUser:
    return users.NewUser(username=username, full_name=full_name, email=email, password=password)


def _begin(db: Session, settings: Settings, data: users.NewUser) -> CodeSent:
    sent = signup.begin(db, settings=settings, data=data, ctx=CTX)
    db.commit()
    return sent


def _complete(db: Session, settings: Settings, sent: CodeSent, code: str) -> User:
    user = stages.complete(
        db, settings=settings, otp_session_id=sent.otp_session_id, code=code, ctx=CTX
    )
    db.commit()
    return user


def _users(engine: Engine) -> list[User]:
    with Session(engine) as fresh:
        return list(fresh.exec(select(User).order_by(User.id)).all())  # type: ignore[arg-type]


def _code_rows(engine: Engine) -> int:
    with Session(engine) as fresh:
        return int(fresh.exec(select(func.count()).select_from(OneTimeCode)).one())


@pytest.mark.parametrize("auth_mode", ["password", "password+otp"])
def test_sign_up_creates_the_account_only_when_the_code_comes_back(
    db: Session,
    engine: Engine,
    mode: Mode,
    smtp_server: SmtpServer,
    travel: Callable[[float], None],
    auth_mode: str,
) -> None:
    settings = mode(auth_mode)
    sent = _begin(db, settings, _new(email="  Ada@EXAMPLE.com ", full_name="  Ada \t  Lovelace "))
    assert (sent.purpose, sent.expires_in, sent.resend_in) == ("signup", 600, 60)
    assert sent.sent_to == "a•••a@example.com"
    assert _users(engine) == []

    mail = smtp_server.inbox.wait_for("ada@example.com")
    assert "sign-up" in str(mail["Subject"])
    code = smtp_server.inbox.code_for("ada@example.com")
    # Only the password's hash waits with the code, never the password.
    with engine.connect() as conn:
        parked = conn.execute(sa.select(code_store.table.c.payload)).scalar_one()
    assert PASSWORD not in parked and code not in parked

    user = _complete(db, settings, sent, code)
    (stored,) = _users(engine)
    assert stored.id == user.id
    assert (stored.username, stored.full_name, stored.email) == (
        "ada",
        "Ada Lovelace",
        "ada@example.com",
    )
    assert stored.is_active and not stored.mfa_enabled
    assert passwords(settings).verify(stored.password_hash, PASSWORD)
    assert users.role_names(db, user.id) == ["User"]  # type: ignore[arg-type]
    # The new account signs in with what it signed up with (after the code cooldown).
    travel(61)
    outcome = stages.begin(db, settings=settings, identifier="ADA", password=PASSWORD, ctx=CTX)
    if auth_mode == "password":
        assert isinstance(outcome, User) and outcome.id == user.id
    else:
        assert isinstance(outcome, CodeSent)


def test_otp_mode_sign_up_keeps_no_password(
    db: Session, engine: Engine, mode: Mode, smtp_server: SmtpServer
) -> None:
    settings = mode("otp")
    for data in [_new(password=None), _new(username="bob", email="bob@example.com")]:
        sent = _begin(db, settings, data)
        user = _complete(db, settings, sent, smtp_server.inbox.code_for(data.email))
        assert user.username == data.username
    assert [u.password_hash for u in _users(engine)] == [None, None]


@pytest.mark.both_databases
def test_a_taken_email_answers_alike_and_tells_only_its_owner(
    db: Session, engine: Engine, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    settings = mode("password")
    owner = make_user(username="ada", email="ada@example.com", full_name="Ada Lovelace")
    before = [(u.id, u.username, u.full_name, u.email, u.password_hash) for u in _users(engine)]

    fresh = _begin(db, settings, _new(username="grace", email="grace@example.com"))
    smtp_server.inbox.wait_for("grace@example.com")
    taken = _begin(db, settings, _new(username="mallory", email="ADA@example.com"))
    assert type(taken) is type(fresh)
    assert (taken.purpose, taken.expires_in, taken.resend_in) == (
        fresh.purpose,
        fresh.expires_in,
        fresh.resend_in,
    )
    assert re.fullmatch(r"a•••a@example\.com", taken.sent_to)
    assert len(taken.otp_session_id) == len(fresh.otp_session_id)

    (notice,) = smtp_server.inbox.to(owner.email)
    assert "already has an account" in Inbox.text(notice)
    assert "http://localhost:3000/login" in Inbox.text(notice)
    assert not re.search(r"\b\d{6}\b", Inbox.text(notice) + str(notice["Subject"]))
    assert notice.get_body(preferencelist=("html",)) is not None

    # Nothing the visitor can type turns it into an account, and the owner's stays as it was.
    with pytest.raises(WrongCode):
        _complete(db, settings, taken, "123456")
    db.rollback()
    after = [(u.id, u.username, u.full_name, u.email, u.password_hash) for u in _users(engine)]
    assert after == before


@pytest.mark.both_databases
def test_a_taken_username_is_refused_before_any_mail(
    db: Session, engine: Engine, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    settings = mode("password")
    make_user(username="Ada", email="ada@example.com")
    with pytest.raises(UsernameTaken) as taken:
        _begin(db, settings, _new(username="ADA", email="other@example.com"))
    db.rollback()
    assert (status_of(taken.value), taken.value.field) == (409, "username")
    assert smtp_server.inbox.messages == []
    assert _code_rows(engine) == 0


def test_sign_up_turned_off_is_refused(
    db: Session, engine: Engine, mode: Mode, smtp_server: SmtpServer
) -> None:
    off = mode("password", SIGNUP_ENABLED="false")
    with pytest.raises(SignupDisabled) as refused:
        _begin(db, off, _new())
    db.rollback()
    assert status_of(refused.value) == 403
    assert smtp_server.inbox.messages == []

    # A sign-up begun before the switch does not finish after it.
    on = mode("password")
    sent = _begin(db, on, _new())
    with pytest.raises(SignupDisabled):
        _complete(db, off, sent, smtp_server.inbox.code_for("ada@example.com"))
    db.rollback()
    assert _users(engine) == []


WEAK = [
    (_new(password=None), "Choose a password"),
    (_new(password="short pw"), "at least 12"),
    (_new(password="q1w2e3r4t5y6"), "too common"),
    (_new(username="adalovelace12", password="AdaLovelace12"), "differ"),
    (_new(email="ada.lovelace@example.com", password="ada.lovelace@example.com"), "differ"),
    (_new(password="x" * 1025), "at most"),
]


def test_a_weak_password_is_refused_before_any_mail(
    db: Session, engine: Engine, mode: Mode, smtp_server: SmtpServer
) -> None:
    settings = mode("password+otp")
    for data, reason in WEAK:
        with pytest.raises(WeakPassword) as weak:
            _begin(db, settings, data)
        db.rollback()
        assert reason in weak.value.message, data
        assert (status_of(weak.value), weak.value.field) == (422, "password")
    assert smtp_server.inbox.messages == []
    assert _code_rows(engine) == 0


def test_bad_names_and_addresses_are_refused_before_any_mail(
    db: Session, engine: Engine, mode: Mode, smtp_server: SmtpServer
) -> None:
    settings = mode("password")
    for data, error in [
        (_new(email="not an email"), InvalidEmail),
        (_new(email="ada@"), InvalidEmail),
        (_new(username="a"), InvalidUsername),
        (_new(username="ada lovelace"), InvalidUsername),
        (_new(username="adä"), InvalidUsername),
    ]:
        with pytest.raises(error):
            _begin(db, settings, data)
        db.rollback()
    assert smtp_server.inbox.messages == []
    assert _code_rows(engine) == 0


@pytest.mark.both_databases
def test_a_name_taken_while_the_code_was_in_the_post_is_refused(
    db: Session, engine: Engine, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    settings = mode("password")
    by_name = _begin(db, settings, _new(username="ada", email="ada@example.com"))
    by_mail = _begin(db, settings, _new(username="grace", email="grace@example.com"))
    make_user(username="ADA", email="someone@example.com")
    make_user(username="someone", email="Grace@example.com")

    with pytest.raises(UsernameTaken):
        _complete(db, settings, by_name, smtp_server.inbox.code_for("ada@example.com"))
    db.rollback()
    with pytest.raises(EmailTaken):
        _complete(db, settings, by_mail, smtp_server.inbox.code_for("grace@example.com"))
    db.rollback()
    assert sorted(u.username for u in _users(engine)) == ["ADA", "someone"]
