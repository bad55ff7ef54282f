"""The long-term lock after 100 failures in a row, and what reopens it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import pytest
from sqlmodel import Session

from admin_app.errors import RateLimited
from admin_app.models import User
from admin_app.services.accounts import reset_links
from admin_app.services.email_codes import code_step
from admin_app.services.limits import lockout, throttle
from admin_app.services.signin import password_stage, stages
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD
from tests.support.smtp import SmtpServer

# On SQLite and PostgreSQL (see tests/conftest.py): the lock lives in the budgets' dialect-
# specific upserts.
pytestmark = pytest.mark.both_databases

MakeUser = Callable[..., User]
NEW_PASSWORD = "a brand new passphrase for ada"


def _lock(db: Session, settings: Settings, user: User) -> None:
    for _ in range(throttle.LOCK_CEILING):
        throttle.record_failure(db, settings=settings, identifier="", ip="", user_id=user.id)
    db.commit()


def test_a_hundred_failures_lock_the_password_for_good(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="ada", email="ada@example.com")
    assert user.id is not None
    _lock(db, settings, user)
    assert lockout.locked_ids(db, [user.id, user.id + 1]) == {user.id}
    with pytest.raises(RateLimited) as limited:
        password_stage.check_password(
            db, settings=settings, identifier="ada", password=PASSWORD, ctx=CTX
        )
    assert "locked" in limited.value.message


def test_a_code_sign_in_reopens_the_account(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    smtp_server: SmtpServer,
    travel: Callable[[float], None],
) -> None:
    settings = mail_settings("otp")
    user = make_user(username="ada", email="ada@example.com")
    assert user.id is not None
    _lock(db, settings, user)
    travel(throttle.MAX_LOCK_SECONDS + 1)  # the short wait passes; the lock does not
    sent = stages.begin(db, settings=settings, identifier="ada", password=None, ctx=CTX)
    db.commit()
    assert isinstance(sent, code_step.CodeSent)
    code = smtp_server.inbox.code_for("ada@example.com")
    stages.complete(db, settings=settings, otp_session_id=sent.otp_session_id, code=code, ctx=CTX)
    db.commit()
    assert lockout.locked_ids(db, [user.id]) == set()


def test_a_reset_link_reopens_the_account(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="ada", email="ada@example.com")
    assert user.id is not None
    _lock(db, settings, user)
    link = reset_links.issue(db, settings=settings, user=user, ctx=CTX, actor_id=None)
    db.commit()
    token = link.url.split("token=")[1]
    reset_links.use(db, settings=settings, token=token, password=NEW_PASSWORD, ctx=CTX)
    db.commit()
    assert lockout.locked_ids(db, [user.id]) == set()
    assert password_stage.check_password(
        db, settings=settings, identifier="ada", password=NEW_PASSWORD, ctx=CTX
    )


def test_the_throttle_hmac_has_its_own_key(settings: Settings) -> None:
    keyed_by_secret = hmac.new(settings.jwt_secret.encode(), b"ada", hashlib.sha256).hexdigest()
    assert throttle.identifier_key(settings, "Ada") != f"id:{keyed_by_secret}"
