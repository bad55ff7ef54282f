""" "Forgot password" answers in the same time whether or not a mail went (SPEC section 11)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from admin_app.mail import outbox
from admin_app.models import User
from admin_app.services.accounts import reset_links
from admin_app.settings import Settings
from tests.conftest import CTX
from tests.support.smtp import SmtpServer

MakeUser = Callable[..., User]
MAIL_SECONDS = 0.4


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings("otp")


def _answer_time(db: Session, settings: Settings, email: str) -> float:
    """What the face waits: the service's own time plus the stand-in wait it hands back."""
    started = time.perf_counter()
    wait = reset_links.request_by_email(db, settings=settings, email=email, ctx=CTX)
    db.commit()
    return time.perf_counter() - started + (wait or 0.0)


def test_past_the_link_cap_the_answer_takes_as_long_as_for_nobody(
    db: Session,
    settings: Settings,
    make_user: MakeUser,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_user(email="ada@example.com")
    # A mail server that takes 0.4 s: the send timer sees it, as it would in production.
    real_sender_for = outbox.sender_for

    class Slow:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def send(self, message: Any) -> None:
            time.sleep(MAIL_SECONDS)
            self.inner.send(message)

    monkeypatch.setattr(outbox, "sender_for", lambda s: Slow(real_sender_for(s)))
    monkeypatch.setattr(outbox.send_timer, "_average", MAIL_SECONDS)
    mailed = [_answer_time(db, settings, "ada@example.com") for _ in range(3)]
    capped = _answer_time(db, settings, "ada@example.com")
    nobody = _answer_time(db, settings, "nobody@example.com")
    print(f"\nmailed {min(mailed):.2f} s, past the cap {capped:.2f} s, unknown {nobody:.2f} s")
    assert len(smtp_server.inbox.to("ada@example.com")) == 3
    assert abs(capped - nobody) < 0.15
    assert capped > MAIL_SECONDS * 0.75


def test_a_mail_server_that_is_down_tells_nothing_and_leaves_no_link(
    db: Session, make_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    from sqlmodel import select

    from admin_app.models import AuditEvent, ResetLink
    from tests.support.postgres import free_port

    down = make_settings(
        AUTH_MODE="otp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="none"
    )
    user = make_user(email="ada@example.com")
    # The same answer as for an address without an account: no error, no 503.
    assert reset_links.request_by_email(db, settings=down, email="ada@example.com", ctx=CTX) == 0
    db.commit()
    links = db.exec(select(ResetLink).where(ResetLink.user_id == user.id)).all()
    assert links and all(link.used_at is not None for link in links)
    kinds = db.exec(select(AuditEvent.kind).where(AuditEvent.user_id == user.id)).all()
    assert "mail.failed" in kinds
