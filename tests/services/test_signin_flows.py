"""Staged sign-in in each AUTH_MODE, with codes mailed through a real SMTP server."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.api.errors import status_of
from admin_app.errors import (
    AccountDisabled,
    CodeUsedUp,
    InvalidCredentials,
    MailNotSent,
    RateLimited,
    UnknownCodeSession,
    WrongCode,
)
from admin_app.mail import outbox, templates
from admin_app.models import AuthSession, OneTimeCode, RefreshToken, User
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.signin import handover, stages
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD
from tests.support.db import count_rows
from tests.support.smtp import Inbox, SmtpServer

MakeUser = Callable[..., User]
Travel = Callable[[float], None]
Mode = Callable[..., Settings]
MASKED = re.compile(r"^.•••.?@.+$")


@pytest.fixture
def mode(mail_settings: Mode) -> Mode:
    """Settings for an AUTH_MODE whose mail goes to the test SMTP server."""
    return mail_settings


def _begin(
    db: Session, settings: Settings, identifier: str, password: str | None = None
) -> User | CodeSent:
    outcome = stages.begin(db, settings=settings, identifier=identifier, password=password, ctx=CTX)
    db.commit()
    return outcome


def _complete(db: Session, settings: Settings, sent: CodeSent, code: str) -> User:
    user = stages.complete(
        db, settings=settings, otp_session_id=sent.otp_session_id, code=code, ctx=CTX
    )
    db.commit()
    return user


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_otp_mode_mails_a_sign_in_code_that_signs_in(
    db: Session, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer, travel: Travel
) -> None:
    settings = mode("otp")
    user = make_user(username="ada", email="ada@example.com")
    for n, identifier in enumerate(["ada", "ADA@example.com"], start=1):
        sent = _begin(db, settings, identifier)
        assert isinstance(sent, CodeSent)
        assert (sent.purpose, sent.expires_in, sent.resend_in) == ("signin", 600, 60)
        # Nothing proved yet: a username shows neutral words, an email its own mask.
        shown = (
            "the email address of that account" if "@" not in identifier else "a•••a@example.com"
        )
        assert sent.sent_to == shown
        mail = smtp_server.inbox.wait_for("ada@example.com", count=n)
        assert "sign-in" in str(mail["Subject"])
        code = smtp_server.inbox.code_for("ada@example.com", count=n)
        assert _complete(db, settings, sent, code).id == user.id
        travel(61)


def test_otp_mode_for_an_unknown_address_answers_alike_and_mails_nothing(
    db: Session, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    settings = mode("otp")
    make_user(username="ada", email="ada@example.com")
    make_user(username="off", email="off@example.com", active=False)
    known = _begin(db, settings, "ada@example.com")
    smtp_server.inbox.wait_for("ada@example.com")

    for identifier in ["nobody@example.com", "off@example.com"]:
        unknown = _begin(db, settings, identifier)
        assert isinstance(known, CodeSent) and isinstance(unknown, CodeSent)
        assert type(unknown) is type(known)
        assert (unknown.purpose, unknown.expires_in, unknown.resend_in) == (
            known.purpose,
            known.expires_in,
            known.resend_in,
        )
        assert MASKED.match(unknown.sent_to) and MASKED.match(known.sent_to)
        assert len(unknown.otp_session_id) == len(known.otp_session_id)
        # No code can complete it: none was ever sent.
        with pytest.raises(WrongCode) as wrong:
            _complete(db, settings, unknown, "000000")
        db.rollback()
        assert wrong.value.tries_left == 4
    assert [str(m["To"]) for m in smtp_server.inbox.messages] == ["ada@example.com"]


def test_password_mode_without_mfa_signs_in_at_once(
    db: Session, engine: Engine, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    settings = mode("password")
    user = make_user(username="ada", email="ada@example.com")
    outcome = _begin(db, settings, "Ada", PASSWORD)
    assert isinstance(outcome, User)
    assert outcome.id == user.id
    with pytest.raises(InvalidCredentials):
        _begin(db, settings, "ada", PASSWORD + "x")
    db.rollback()
    with pytest.raises(InvalidCredentials):
        _begin(db, settings, "ada", None)
    db.rollback()
    assert smtp_server.inbox.messages == []
    assert count_rows(engine, OneTimeCode) == 0


def test_password_mode_with_mfa_mails_a_verification_code(
    db: Session, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    settings = mode("password")
    user = make_user(username="ada", email="ada@example.com", mfa=True)
    sent = _begin(db, settings, "ada@example.com", PASSWORD)
    assert isinstance(sent, CodeSent)
    assert sent.purpose == "mfa"
    subject = str(smtp_server.inbox.wait_for("ada@example.com")["Subject"])
    assert "verification" in subject
    code = smtp_server.inbox.code_for("ada@example.com")
    assert _complete(db, settings, sent, code).id == user.id

    # A wrong password mails nothing.
    with pytest.raises(InvalidCredentials):
        _begin(db, settings, "ada", "not the password")
    db.rollback()
    assert len(smtp_server.inbox.messages) == 1


def test_password_plus_otp_always_needs_the_code(
    db: Session, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    settings = mode("password+otp")
    user = make_user(username="ada", email="ada@example.com", mfa=False)
    with pytest.raises(InvalidCredentials):
        _begin(db, settings, "ada", PASSWORD + "x")
    db.rollback()
    assert smtp_server.inbox.messages == []

    sent = _begin(db, settings, "ada", PASSWORD)
    assert isinstance(sent, CodeSent)
    assert sent.purpose == "mfa"
    code = smtp_server.inbox.code_for("ada@example.com")
    with pytest.raises(WrongCode):
        _complete(db, settings, sent, f"{(int(code) + 1) % 10**6:06d}")
    db.rollback()
    assert _complete(db, settings, sent, code).id == user.id


@pytest.mark.parametrize(
    ("auth_mode", "password", "mfa"),
    [("otp", None, False), ("password", PASSWORD, True), ("password+otp", PASSWORD, False)],
)
def test_a_half_finished_sign_in_opens_nothing(
    db: Session,
    engine: Engine,
    mode: Mode,
    make_user: MakeUser,
    smtp_server: SmtpServer,
    auth_mode: str,
    password: str | None,
    mfa: bool,
) -> None:
    settings = mode(auth_mode)
    make_user(username="ada", email="ada@example.com", mfa=mfa)
    sent = _begin(db, settings, "ada", password)
    assert isinstance(sent, CodeSent)
    assert (count_rows(engine, AuthSession), count_rows(engine, RefreshToken)) == (0, 0)
    # The otp_session_id alone is no key to anything.
    with pytest.raises(WrongCode):
        _complete(db, settings, sent, "")
    db.rollback()
    assert (count_rows(engine, AuthSession), count_rows(engine, RefreshToken)) == (0, 0)

    user = _complete(db, settings, sent, smtp_server.inbox.code_for("ada@example.com"))
    handover.finish(db, settings=settings, user=user, ctx=CTX, method="code")
    db.commit()
    assert count_rows(engine, AuthSession) == 1


def test_the_code_mail_says_what_it_is_for_and_when_it_expires(
    db: Session, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    settings = mode("otp", OTP_TTL_SECONDS=300, APP_NAME="Acme Admin")
    make_user(username="ada", email="ada@example.com")
    _begin(db, settings, "ada")
    mail = smtp_server.inbox.wait_for("ada@example.com")
    code = smtp_server.inbox.code_for("ada@example.com")
    assert str(mail["Subject"]) == f"{code} is your Acme Admin sign-in code"
    assert "Acme Admin" in str(mail["From"])

    plain = mail.get_body(preferencelist=("plain",))
    rich = mail.get_body(preferencelist=("html",))
    assert plain is not None and rich is not None
    assert plain.get_content_type() == "text/plain"
    assert rich.get_content_type() == "text/html"
    text, html = str(plain.get_content()), str(rich.get_content())
    for body in (text, html):
        assert code in body
        assert "sign in" in body
        assert "expires in 5 minutes" in body
    assert text.startswith(code)
    assert "<h2>" in html


@pytest.mark.parametrize(
    ("purpose", "words"),
    [
        ("signin", "sign-in code"),
        ("mfa", "sign-in verification code"),
        ("signup", "sign-up code"),
        ("confirm", "confirmation code"),
    ],
)
def test_every_code_mail_names_its_purpose(
    mode: Mode, smtp_server: SmtpServer, purpose: str, words: str
) -> None:
    settings = mode("otp")
    outbox.send_code(settings, to="ada@example.com", purpose=purpose, code="042917")
    mail = smtp_server.inbox.wait_for("ada@example.com")
    assert str(mail["Subject"]) == f"042917 is your Admin {words}"
    assert "It expires in 10 minutes." in Inbox.text(mail)
    assert templates.PURPOSE_WORDS[purpose][1] in Inbox.text(mail)


@pytest.mark.parametrize(("auth_mode", "password"), [("otp", None), ("password+otp", PASSWORD)])
def test_a_mail_server_that_is_down_loses_nothing(
    db: Session,
    engine: Engine,
    mode: Mode,
    make_user: MakeUser,
    smtp_server: SmtpServer,
    auth_mode: str,
    password: str | None,
) -> None:
    user = make_user(username="ada", email="ada@example.com")
    down = mode(auth_mode, SMTP_PORT=_closed_port())
    with pytest.raises(MailNotSent) as failed:
        stages.begin(db, settings=down, identifier="ada", password=password, ctx=CTX)
    db.rollback()  # what every face's session scope does on an error
    assert status_of(failed.value) == 503
    assert "try again" in failed.value.message
    assert count_rows(engine, OneTimeCode) == 0

    # Once the server is back, the same sign-in goes through, with no cooldown in the way.
    settings = mode(auth_mode)
    sent = _begin(db, settings, "ada", password)
    assert isinstance(sent, CodeSent)
    assert _complete(db, settings, sent, smtp_server.inbox.code_for("ada@example.com")) == user


def test_resend_mails_a_new_code_after_the_cooldown(
    db: Session, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer, travel: Travel
) -> None:
    settings = mode("otp")
    user = make_user(username="ada", email="ada@example.com")
    first = _begin(db, settings, "ada")
    assert isinstance(first, CodeSent)
    with pytest.raises(RateLimited) as limited:
        stages.resend(db, settings=settings, otp_session_id=first.otp_session_id, ctx=CTX)
    db.rollback()
    assert 55 <= limited.value.retry_after <= 60

    travel(61)
    second = stages.resend(db, settings=settings, otp_session_id=first.otp_session_id, ctx=CTX)
    db.commit()
    assert second.otp_session_id != first.otp_session_id
    assert second.purpose == "signin"
    old_code = smtp_server.inbox.code_for("ada@example.com", count=1)
    new_code = smtp_server.inbox.code_for("ada@example.com", count=2)
    with pytest.raises(UnknownCodeSession):
        _complete(db, settings, first, old_code)
    db.rollback()
    assert _complete(db, settings, second, new_code).id == user.id


def test_wrong_codes_count_as_sign_in_failures(
    db: Session, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer, travel: Travel
) -> None:
    settings = mode("otp")
    make_user(username="ada", email="ada@example.com")
    sent = _begin(db, settings, "ada")
    assert isinstance(sent, CodeSent)
    code = smtp_server.inbox.code_for("ada@example.com")
    for _ in range(5):
        with pytest.raises(WrongCode):
            _complete(db, settings, sent, f"{(int(code) + 1) % 10**6:06d}")
        db.rollback()
    with pytest.raises(RateLimited):
        _complete(db, settings, sent, code)
    db.rollback()
    travel(61)
    with pytest.raises(CodeUsedUp):
        _complete(db, settings, sent, code)
    db.rollback()
    # The sixth failure doubled the wait; a new code does not reset the count.
    with pytest.raises(RateLimited) as limited:
        _begin(db, settings, "ada")
    assert limited.value.retry_after == 120


def test_a_disabled_account_is_refused_only_after_the_password(
    db: Session, mode: Mode, make_user: MakeUser
) -> None:
    settings = mode("password")
    make_user(username="ada", email="ada@example.com", active=False)
    with pytest.raises(InvalidCredentials):
        _begin(db, settings, "ada", "not the password")
    db.rollback()
    with pytest.raises(AccountDisabled):
        _begin(db, settings, "ada", PASSWORD)


def test_an_account_disabled_before_the_code_comes_back_is_refused(
    db: Session, engine: Engine, mode: Mode, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    settings = mode("otp")
    user = make_user(username="ada", email="ada@example.com")
    sent = _begin(db, settings, "ada")
    assert isinstance(sent, CodeSent)
    with engine.begin() as conn:
        conn.execute(sa.update(User).where(User.id == user.id).values(is_active=False))  # type: ignore[arg-type]
    db.expire_all()
    with pytest.raises(InvalidCredentials):
        _complete(db, settings, sent, smtp_server.inbox.code_for("ada@example.com"))
