"""Security notices: their words, and that they go out only after the caller's commit."""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin_app.factor_settings import MailNotices
from admin_app.mail import notices
from admin_app.mail.notices import Event
from admin_app.mail.senders import SmtpSender
from admin_app.models import AuditEvent, User
from admin_app.services.audit import trail
from admin_app.settings import Settings
from tests.conftest import CTX
from tests.support.postgres import free_port
from tests.support.smtp import SmtpServer

MakeUser = Callable[..., User]
APP = "Acme Console"
ADA = "ada@example.com"
# Long enough for a mail sent at once to reach the test server.
QUIET = 0.5


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings("password", APP_NAME=APP, APP_URL="https://admin.example.com")


def _html(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def _quiet() -> None:
    time.sleep(QUIET)


def _nothing_to(smtp_server: SmtpServer, address: str = ADA) -> bool:
    _quiet()
    return smtp_server.inbox.to(address) == []


# event, its detail, what its mail must say (besides the app's name and the time)
CASES: list[tuple[Event, dict[str, Any], list[str]]] = [
    (
        Event.NEW_SIGNIN,
        {"device": "Chrome on Linux", "ip": "203.0.113.9"},
        ["Chrome on Linux", "203.0.113.9", "https://admin.example.com/profile"],
    ),
    (Event.PASSWORD_CHANGED, {}, ["password", "reset your password"]),
    (Event.FACTOR_ADDED, {"factor": "authenticator app “Phone”"}, ["added", "“Phone”"]),
    (Event.FACTOR_REMOVED, {"factor": "security key “Blue”"}, ["removed", "“Blue”"]),
    (Event.FACTORS_RESET, {}, ["An administrator", "If you did not ask for this"]),
    (Event.RECOVERY_CODE_USED, {"left": 7}, ["7 recovery codes are left", "recovery code"]),
    (Event.RECOVERY_CODES_REGENERATED, {}, ["New recovery codes", "old codes no longer work"]),
    (Event.API_KEY_CREATED, {"key_name": "ci"}, ["ci", "https://admin.example.com/api-keys"]),
]


@pytest.mark.parametrize(("event", "detail", "facts"), CASES, ids=[c[0].value for c in CASES])
def test_each_notice_says_what_happened_when_and_what_to_do(
    db: Session,
    settings: Settings,
    smtp_server: SmtpServer,
    event: Event,
    detail: dict[str, Any],
    facts: list[str],
) -> None:
    notices.tell(db, settings=settings, to=ADA, event=event, **detail)
    db.commit()
    mail = smtp_server.inbox.wait_for(ADA)
    assert APP in mail["Subject"]
    assert mail["From"] == f"{APP} <{settings.mail_from}>"
    for body in (smtp_server.inbox.text(mail), _html(mail)):
        assert APP in body
        assert "When" in body and " UTC" in body
        assert "tell an administrator" in body
        assert "If this was not you" in body or "If you did not ask for this" in body
        for fact in facts:
            assert fact in body
    assert len(smtp_server.inbox.messages) == 1


def test_an_email_change_is_told_to_the_old_and_the_new_address(
    db: Session, settings: Settings, smtp_server: SmtpServer
) -> None:
    new = "ada.lovelace@example.org"
    notices.tell(
        db, settings=settings, to=ADA, event=Event.EMAIL_CHANGED, old_email=ADA, new_email=new
    )
    db.commit()
    to_old = smtp_server.inbox.text(smtp_server.inbox.wait_for(ADA))
    to_new = smtp_server.inbox.text(smtp_server.inbox.wait_for(new))
    for text in (to_old, to_new):
        assert APP in text and ADA in text and new in text and "tell an administrator" in text
    assert "no longer come to this address" in to_old
    assert "This is now the email address" in to_new


def test_values_are_escaped_in_html_and_kept_to_one_line_in_text(
    db: Session, settings: Settings, smtp_server: SmtpServer
) -> None:
    notices.tell(
        db,
        settings=settings,
        to=ADA,
        event=Event.API_KEY_CREATED,
        key_name="<script>alert(1)</script>\n\nAll is well, visit http://evil.example",
    )
    db.commit()
    mail = smtp_server.inbox.wait_for(ADA)
    html = _html(mail)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    lines = smtp_server.inbox.text(mail).splitlines()
    assert "Key name: <script>alert(1)</script> All is well, visit http://evil.example" in lines
    assert not any(line.startswith("All is well") for line in lines)


def test_a_long_value_is_cut(db: Session, settings: Settings, smtp_server: SmtpServer) -> None:
    notices.tell(
        db, settings=settings, to=ADA, event=Event.NEW_SIGNIN, device="x" * 5000, ip="203.0.113.9"
    )
    db.commit()
    text = smtp_server.inbox.text(smtp_server.inbox.wait_for(ADA))
    assert "x" * 119 + "…" in text and "x" * 120 not in text


def test_nothing_is_sent_before_the_commit(
    db: Session, settings: Settings, smtp_server: SmtpServer
) -> None:
    notices.tell(db, settings=settings, to=ADA, event=Event.PASSWORD_CHANGED)
    db.flush()
    assert _nothing_to(smtp_server)
    db.commit()
    smtp_server.inbox.wait_for(ADA)
    db.commit()  # an empty commit sends nothing again
    _quiet()
    assert len(smtp_server.inbox.to(ADA)) == 1


@pytest.mark.both_databases
def test_nothing_is_sent_after_a_rollback(
    db: Session, settings: Settings, smtp_server: SmtpServer
) -> None:
    trail.record(db, kind="test.write", ctx=CTX)
    notices.tell(db, settings=settings, to=ADA, event=Event.PASSWORD_CHANGED)
    db.rollback()
    db.commit()
    assert _nothing_to(smtp_server)


def test_a_session_closed_without_commit_sends_nothing(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    with Session(engine) as session:
        trail.record(session, kind="test.write", ctx=CTX)
        notices.tell(session, settings=settings, to=ADA, event=Event.PASSWORD_CHANGED)
    with Session(engine) as session:  # the same session object reused would not send it either
        session.commit()
    assert _nothing_to(smtp_server)


@pytest.mark.both_databases
def test_a_rolled_back_savepoint_takes_its_mail_with_it(
    db: Session, settings: Settings, smtp_server: SmtpServer
) -> None:
    trail.record(db, kind="test.write", ctx=CTX)
    kept = db.begin_nested()
    notices.tell(db, settings=settings, to=ADA, event=Event.FACTOR_ADDED, factor="kept")
    kept.commit()
    dropped = db.begin_nested()
    notices.tell(db, settings=settings, to=ADA, event=Event.FACTOR_ADDED, factor="dropped")
    dropped.rollback()
    assert _nothing_to(smtp_server)  # a released SAVEPOINT is no commit
    db.commit()
    mail = smtp_server.inbox.wait_for(ADA)
    assert "Factor: kept" in smtp_server.inbox.text(mail)
    _quiet()
    assert len(smtp_server.inbox.to(ADA)) == 1


def test_a_notice_turned_off_is_not_sent(
    db: Session, mail_settings: Callable[..., Settings], smtp_server: SmtpServer
) -> None:
    settings = mail_settings("password", MAIL_ON_API_KEY_CREATED="false")
    assert settings.notices.api_key_created is False
    notices.tell(db, settings=settings, to=ADA, event=Event.API_KEY_CREATED, key_name="ci")
    notices.tell(db, settings=settings, to=ADA, event=Event.PASSWORD_CHANGED)
    db.commit()
    only = smtp_server.inbox.wait_for(ADA)
    assert "password" in only["Subject"]
    _quiet()
    assert len(smtp_server.inbox.to(ADA)) == 1


@pytest.mark.parametrize("event", list(Event))
def test_each_notice_has_its_switch(
    db: Session, settings: Settings, smtp_server: SmtpServer, event: Event
) -> None:
    off = dataclasses.replace(
        settings, notices=dataclasses.replace(MailNotices(), **{notices.SETTING[event]: False})
    )
    detail = {key: ADA if "email" in key else 1 for key in notices.DETAIL[event]}
    notices.tell(db, settings=off, to=ADA, event=event, **detail)
    db.commit()
    assert _nothing_to(smtp_server)


def test_a_detail_missing_or_unknown_is_refused(db: Session, settings: Settings) -> None:
    with pytest.raises(TypeError, match="key_name"):
        notices.tell(db, settings=settings, to=ADA, event=Event.API_KEY_CREATED)
    with pytest.raises(TypeError, match="colour"):
        notices.tell(db, settings=settings, to=ADA, event=Event.PASSWORD_CHANGED, colour="red")
    with pytest.raises(ValueError, match="old and its new address"):
        notices.tell(
            db,
            settings=settings,
            to="eve@example.com",
            event=Event.EMAIL_CHANGED,
            old_email=ADA,
            new_email="ada@example.org",
        )


def _failures(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.kind == "mail.failed")))


@pytest.mark.both_databases
def test_a_mail_server_that_is_down_does_not_fail_the_commit(
    db: Session,
    engine: Engine,
    make_settings: Callable[..., Settings],
    make_user: MakeUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = make_user(email=ADA)
    down = make_settings(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="none")
    trail.record(db, kind="test.write", ctx=CTX, user_id=user.id)
    notices.tell(
        db,
        settings=down,
        to=ADA,
        event=Event.API_KEY_CREATED,
        ctx=CTX,
        user_id=user.id,
        key_name="ci",
    )
    with caplog.at_level(logging.WARNING, logger="admin_app.mail.notices"):
        db.commit()
    # The caller's own work committed, and the failure is on record.
    with Session(engine) as session:
        kinds = session.exec(select(AuditEvent.kind).where(AuditEvent.user_id == user.id)).all()
    assert "test.write" in kinds
    [failed] = _failures(engine)
    assert failed.user_id == user.id
    assert json.loads(failed.detail) == {"what": "api_key_created"}
    assert (failed.ip, failed.user_agent) == (CTX.ip, CTX.user_agent)
    assert "api_key_created" in caplog.text and "not sent" in caplog.text


def test_any_error_of_the_sender_is_kept_on_record(
    db: Session, engine: Engine, settings: Settings
) -> None:
    class Broken:
        def send(self, message: EmailMessage) -> None:
            raise RuntimeError("boom")

    notices.tell(db, settings=settings, to=ADA, event=Event.PASSWORD_CHANGED, sender=Broken())
    db.commit()
    [failed] = _failures(engine)
    assert json.loads(failed.detail) == {"what": "password_changed"}
    assert (failed.ip, failed.user_id) == ("", None)


def test_the_write_lock_and_the_connection_are_free_while_sending(
    db: Session, engine: Engine, database_url: str, settings: Settings, smtp_server: SmtpServer
) -> None:
    path = sa.make_url(database_url).database
    assert path
    seen: list[str] = []

    class WritesWhileSending(SmtpSender):
        def send(self, message: EmailMessage) -> None:
            seen.append(f"checked out: {engine.pool.checkedout()}")
            # Another writer with a short busy timeout: it fails if the lock is held.
            with closing(sqlite3.connect(path, timeout=0.2)) as other:
                other.execute("CREATE TABLE IF NOT EXISTS lock_probe (x INTEGER)")
                other.execute("INSERT INTO lock_probe VALUES (1)")
                other.commit()
            seen.append("wrote")
            super().send(message)

    trail.record(db, kind="test.write", ctx=CTX)  # the caller's transaction holds the lock
    notices.tell(
        db,
        settings=settings,
        to=ADA,
        event=Event.PASSWORD_CHANGED,
        sender=WritesWhileSending(settings),
    )
    db.commit()
    smtp_server.inbox.wait_for(ADA)
    assert seen == ["checked out: 0", "wrote"]
    assert _failures(engine) == []
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*) FROM lock_probe").fetchone() == (1,)


def test_console_mail_is_printed(
    db: Session, make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    console = make_settings(APP_NAME=APP)
    assert console.mail_is_console
    notices.tell(db, settings=console, to=ADA, event=Event.RECOVERY_CODE_USED, left=1)
    assert "recovery code" not in capsys.readouterr().err
    db.commit()
    printed = capsys.readouterr().err
    assert f"mail to {ADA}" in printed and "1 recovery code is left." in printed


def test_every_event_has_a_switch_and_a_detail_list() -> None:
    fields = {field.name for field in dataclasses.fields(MailNotices)}
    assert set(notices.SETTING) == set(Event) == set(notices.DETAIL)
    assert set(notices.SETTING.values()) == fields
