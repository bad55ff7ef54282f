"""The sign-in's second step with factors: which methods, in which order, and each refusal."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.errors import (
    CodeUsedUp,
    MethodNotAvailable,
    MfaEnrolmentRequired,
    WrongFactorCode,
)
from admin_app.models import AuditEvent, User
from admin_app.services.access import browser_sessions
from admin_app.services.accounts import users
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.factors import trusted
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import handover, stages
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD
from tests.services.test_authenticator_apps import add_app
from tests.support.smtp import SmtpServer

MakeUser = Callable[..., User]


def _password(db: Session, settings: Settings, ctx: RequestContext = CTX) -> User | CodeSent:
    outcome = stages.begin(db, settings=settings, identifier="ada", password=PASSWORD, ctx=ctx)
    db.commit()
    return outcome


def _complete(
    db: Session, settings: Settings, step: CodeSent, code: str, method: str | None = None
) -> User | CodeSent:
    outcome = stages.complete(
        db,
        settings=settings,
        otp_session_id=step.otp_session_id,
        code=code,
        ctx=CTX,
        method=method,
    )
    db.commit()
    return outcome


def _next_code(secret: str) -> str:
    """The app's code for the next step: within the drift, and not the one that confirmed it."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _ada(make_user: MakeUser, **kwargs: object) -> User:
    return make_user(username="ada", email="ada@example.com", **kwargs)


def test_password_mode_asks_for_the_app_and_mails_nothing(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    settings = mail_settings("password")
    ada = _ada(make_user)
    secret, _ = add_app(db, settings, ada)
    smtp_server.inbox.clear()
    step = _password(db, settings)
    assert isinstance(step, CodeSent)
    assert step.methods == ("totp", "recovery") and not step.mailed
    # The email code is not one of this user's ways (no email MFA in password mode).
    with pytest.raises(MethodNotAvailable):
        _complete(db, settings, step, "123456", method="email")
    with pytest.raises(WrongFactorCode):
        _complete(
            db, settings, step, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
        )
    done = _complete(db, settings, step, pyotp.TOTP(secret).at(time.time() + 30), method="totp")
    assert isinstance(done, User) and done.id == ada.id
    # The step is over: the same flow cannot be used again.
    with pytest.raises(Exception):  # noqa: B017 (any refusal: the flow has ended)
        _complete(db, settings, step, pyotp.TOTP(secret).now())
    assert smtp_server.inbox.to("ada@example.com") == []


def test_a_replayed_code_is_refused(
    db: Session, mail_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    settings = mail_settings("password")
    ada = _ada(make_user)
    secret, _ = add_app(db, settings, ada)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert isinstance(_complete(db, settings, _step(db, settings), code), User)
    with pytest.raises(WrongFactorCode):
        _complete(db, settings, _step(db, settings), code)


def _step(db: Session, settings: Settings) -> CodeSent:
    step = _password(db, settings)
    assert isinstance(step, CodeSent)
    return step


def test_a_recovery_code_signs_in_once_and_is_audited_and_mailed(
    db: Session,
    engine: Engine,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    settings = mail_settings("password")
    ada = _ada(make_user)
    _, confirmed = add_app(db, settings, ada)
    code = confirmed.recovery_codes[3]
    assert isinstance(_complete(db, settings, _step(db, settings), code, "recovery"), User)
    with pytest.raises(WrongFactorCode):
        _complete(db, settings, _step(db, settings), code, "recovery")
    with Session(engine) as fresh:
        used = (
            fresh.execute(sa.select(AuditEvent.detail).where(AuditEvent.kind == "recovery.used"))
            .scalars()
            .all()
        )
    assert len(used) == 1 and '"left": 9' in used[0]
    mails = [
        m
        for m in smtp_server.inbox.to("ada@example.com")
        if "recovery" in str(m["Subject"]).lower()
    ]
    assert mails and "9" in smtp_server.inbox.text(mails[-1])


def test_a_step_has_five_tries(
    db: Session, mail_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    settings = mail_settings("password")
    ada = _ada(make_user)
    secret, _ = add_app(db, settings, ada)
    step = _step(db, settings)
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(WrongFactorCode):
            _complete(db, settings, step, wrong)
    with pytest.raises(CodeUsedUp):
        _complete(db, settings, step, pyotp.TOTP(secret).now())


def test_with_email_mfa_on_the_user_may_switch_to_the_email_code(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    settings = mail_settings("password")
    ada = _ada(make_user, mfa=True)
    add_app(db, settings, ada)
    smtp_server.inbox.clear()
    step = _step(db, settings)
    assert step.methods == ("totp", "recovery", "email") and not step.mailed
    with pytest.raises(MethodNotAvailable):
        _complete(db, settings, step, "123456", method="email")
    mailed = stages.resend(db, settings=settings, otp_session_id=step.otp_session_id, ctx=CTX)
    db.commit()
    assert mailed.mailed and mailed.methods == step.methods
    assert mailed.otp_session_id != step.otp_session_id
    code = smtp_server.inbox.code_for("ada@example.com")
    assert isinstance(_complete(db, settings, mailed, code, method="email"), User)


def test_password_otp_mode_takes_the_app_instead_of_the_email_code(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    settings = mail_settings("password+otp")
    ada = _ada(make_user)
    secret, _ = add_app(db, settings, ada)
    smtp_server.inbox.clear()
    step = _step(db, settings)
    assert step.methods == ("totp", "recovery", "email")
    assert isinstance(_complete(db, settings, step, _next_code(secret)), User)
    assert smtp_server.inbox.to("ada@example.com") == []


def test_email_code_always_keeps_the_mailbox_step_before_the_app(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    settings = mail_settings("password+otp", EMAIL_CODE_ALWAYS="true")
    ada = _ada(make_user)
    secret, _ = add_app(db, settings, ada)
    smtp_server.inbox.clear()
    first = _step(db, settings)
    assert first.methods == ("email",) and first.purpose == "mfa"
    with pytest.raises(MethodNotAvailable):
        _complete(db, settings, first, _next_code(secret), method="totp")
    second = _complete(db, settings, first, smtp_server.inbox.code_for("ada@example.com"))
    assert isinstance(second, CodeSent) and second.methods == ("totp", "recovery")
    assert isinstance(_complete(db, settings, second, _next_code(secret)), User)


def test_otp_mode_asks_for_the_app_after_the_email_code(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    settings = mail_settings("otp")
    ada = _ada(make_user, password=None)
    secret, _ = add_app(db, settings, ada)
    smtp_server.inbox.clear()
    first = stages.begin(
        db, settings=settings, identifier="ada@example.com", password=None, ctx=CTX
    )
    db.commit()
    assert isinstance(first, CodeSent)
    second = _complete(db, settings, first, smtp_server.inbox.code_for("ada@example.com"))
    assert isinstance(second, CodeSent) and second.methods == ("totp", "recovery")
    assert isinstance(_complete(db, settings, second, _next_code(secret)), User)


def test_a_trusted_browser_skips_the_step_until_the_password_changes(
    db: Session, mail_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    settings = mail_settings("password")
    ada = _ada(make_user)
    add_app(db, settings, ada)
    token = trusted.trust(db, settings=settings, user=ada, ctx=CTX)
    db.commit()
    browser = RequestContext(ip=CTX.ip, user_agent=CTX.user_agent, trusted_browser=token)
    assert isinstance(_password(db, settings, browser), User)
    # Another browser, or a forged cookie, still gets the step.
    assert isinstance(_password(db, settings), CodeSent)
    forged = RequestContext(ip=CTX.ip, user_agent=CTX.user_agent, trusted_browser=token + "x")
    assert isinstance(_password(db, settings, forged), CodeSent)
    users.set_password(
        db, settings=settings, user=ada, password="a new passphrase for ada!", ctx=CTX
    )
    db.commit()
    assert trusted.list_for(db, user=ada) == []
    moved = stages.begin(
        db, settings=settings, identifier="ada", password="a new passphrase for ada!", ctx=browser
    )
    assert isinstance(moved, CodeSent)


def test_a_trusted_browser_expires(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    travel: Callable[[float], None],
) -> None:
    settings = mail_settings("password", TRUST_BROWSER_DAYS="2")
    ada = _ada(make_user)
    add_app(db, settings, ada)
    token = trusted.trust(db, settings=settings, user=ada, ctx=CTX)
    db.commit()
    browser = RequestContext(ip=CTX.ip, user_agent=CTX.user_agent, trusted_browser=token)
    travel(2 * 86400 + 60)
    assert isinstance(_password(db, settings, browser), CodeSent)


def test_the_hand_off_sets_a_trust_only_when_asked(
    db: Session, mail_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    settings = mail_settings("password")
    ada = _ada(make_user)
    plain = handover.browser_ticket(db, settings=settings, user=ada, ctx=CTX, method="totp")
    asked = handover.browser_ticket(
        db, settings=settings, user=ada, ctx=CTX, method="totp", trust_browser=True
    )
    db.commit()
    first = handover.hand_off(db, settings=settings, ticket=plain, ctx=CTX)
    second = handover.hand_off(db, settings=settings, ticket=asked, ctx=CTX)
    db.commit()
    assert first is not None and first.trusted_browser is None
    assert second is not None and second.trusted_browser is not None
    assert [b.user_agent for b in trusted.list_for(db, user=ada)] == ["pytest"]
    # TRUST_BROWSER_DAYS=0: the box is not offered, and a ticket asking for it gets none.
    off = mail_settings("password", TRUST_BROWSER_DAYS="0")
    ticket = handover.browser_ticket(
        db, settings=off, user=ada, ctx=CTX, method="totp", trust_browser=True
    )
    db.commit()
    handed = handover.hand_off(db, settings=off, ticket=ticket, ctx=CTX)
    assert handed is not None and handed.trusted_browser is None


@pytest.mark.parametrize(
    ("policy", "admin", "refused"),
    [
        ("none", True, False),
        ("admins", False, False),
        ("admins", True, True),
        ("all", False, True),
    ],
)
def test_the_mfa_policy_refuses_api_tokens_until_an_app_is_added(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    policy: str,
    admin: bool,
    refused: bool,
) -> None:
    settings = mail_settings("password", MFA_REQUIRED=policy)
    ada = _ada(make_user, admin=admin)
    if refused:
        with pytest.raises(MfaEnrolmentRequired):
            handover.api_tokens_for(db, settings=settings, user=ada, ctx=CTX, method="password")
        db.rollback()
        add_app(db, settings, ada)
    assert handover.api_tokens_for(db, settings=settings, user=ada, ctx=CTX, method="password")


def test_the_mfa_policy_marks_a_browser_session_until_an_app_is_added(
    db: Session, mail_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    settings = mail_settings("password", MFA_REQUIRED="all")
    ada = _ada(make_user)
    row = browser_sessions.start(db, settings=settings, user_id=ada.id or 0, ctx=CTX)
    db.commit()
    cookie = browser_sessions.cookie_token(settings, row)
    me = browser_sessions.current_user(db, settings=settings, token=cookie)
    assert me is not None and me.needs_factor
    add_app(db, settings, ada)
    me = browser_sessions.current_user(db, settings=settings, token=cookie)
    assert me is not None and not me.needs_factor


def test_a_new_browser_is_mailed_but_a_known_one_and_the_first_sign_in_are_not(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    settings = mail_settings("password")
    ada = _ada(make_user)

    def signed_in(agent: str) -> list[str]:
        ctx = RequestContext(ip="198.51.100.4", user_agent=agent)
        handover.finish(db, settings=settings, user=ada, ctx=ctx, method="password")
        db.commit()
        time.sleep(0.2)
        return [str(m["Subject"]) for m in smtp_server.inbox.to("ada@example.com")]

    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    assert signed_in(firefox) == []
    assert signed_in(firefox) == []
    chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"
    signed_in(chrome)
    mail = smtp_server.inbox.wait_for("ada@example.com")
    text = smtp_server.inbox.text(mail)
    assert "Chrome on Windows" in text and "198.51.100.4" in text and "/profile" in text
