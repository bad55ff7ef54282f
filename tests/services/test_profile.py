"""The user's own account: name, password change, live sessions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.api.errors import status_of
from admin_app.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
    NotAuthenticated,
    ValidationFailed,
    WeakPassword,
)
from admin_app.models import AuthSession, User
from admin_app.services import devices
from admin_app.services.access import api_tokens, browser_sessions, principals
from admin_app.services.accounts import profile
from admin_app.services.accounts.hasher import passwords
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD

MakeUser = Callable[..., User]
Travel = Callable[[float], None]
NEW_PASSWORD = "a brand new passphrase for ada"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def _stored(engine: Engine, user: User) -> User:
    with Session(engine) as fresh:
        stored = fresh.get(User, user.id)
        assert stored is not None
        return stored


def _start(db: Session, settings: Settings, user: User, ip: str, agent: str) -> AuthSession:
    assert user.id is not None
    row = browser_sessions.start(
        db, settings=settings, user_id=user.id, ctx=RequestContext(ip=ip, user_agent=agent)
    )
    db.commit()
    return row


def _live_ids(db: Session, user: User) -> set[str]:
    assert user.id is not None
    return {s.id for s in profile.live_sessions(db, user_id=user.id, current_id=None)}


def test_rename(db: Session, engine: Engine, make_user: MakeUser) -> None:
    user = make_user(full_name="Ada Lovelace")
    for typed, stored in [
        ("Ada King", "Ada King"),
        ("  Ada \t King\n ", "Ada King"),
        ("Ædá Ł. Kïng", "Ædá Ł. Kïng"),
    ]:
        profile.rename(db, user=user, full_name=typed, ctx=CTX)
        db.commit()
        assert _stored(engine, user).full_name == stored


def test_rename_refuses_empty_and_long_names(
    db: Session, engine: Engine, make_user: MakeUser
) -> None:
    user = make_user(full_name="Ada Lovelace")
    for typed in ["", "   \t ", "x" * 201]:
        with pytest.raises(ValidationFailed) as refused:
            profile.rename(db, user=user, full_name=typed, ctx=CTX)
        db.rollback()
        assert (status_of(refused.value), refused.value.field) == (422, "full_name")
    assert _stored(engine, user).full_name == "Ada Lovelace"


def test_change_password_needs_the_current_one(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user()
    before = _stored(engine, user)
    with pytest.raises(InvalidCredentials) as wrong:
        profile.change_password(
            db,
            settings=settings,
            user=user,
            current=PASSWORD + "!",
            new=NEW_PASSWORD,
            ctx=CTX,
            current_session_id=None,
        )
    db.rollback()
    assert wrong.value.field == "current_password"
    after = _stored(engine, user)
    assert (after.password_hash, after.security_stamp) == (
        before.password_hash,
        before.security_stamp,
    )


def test_change_password_refuses_a_weak_new_one(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="adalovelace")
    for weak in ["short", "adalovelace", "q1w2e3r4t5y6"]:
        with pytest.raises(WeakPassword):
            profile.change_password(
                db,
                settings=settings,
                user=user,
                current=PASSWORD,
                new=weak,
                ctx=CTX,
                current_session_id=None,
            )
        db.rollback()
    assert passwords(settings).verify(_stored(engine, user).password_hash, PASSWORD)


def test_change_password_ends_everything_but_this_browser(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user()
    bystander = make_user()
    here = _start(db, settings, user, "192.0.2.1", CHROME_WINDOWS)
    elsewhere = _start(db, settings, user, "192.0.2.2", FIREFOX_LINUX)
    theirs = _start(db, settings, bystander, "192.0.2.3", FIREFOX_LINUX)
    pair = api_tokens.issue_pair(db, settings=settings, user=user, ctx=CTX, method="password")
    their_pair = api_tokens.issue_pair(
        db, settings=settings, user=bystander, ctx=CTX, method="password"
    )
    db.commit()
    stamp = _stored(engine, user).security_stamp

    profile.change_password(
        db,
        settings=settings,
        user=user,
        current=PASSWORD,
        new=NEW_PASSWORD,
        ctx=CTX,
        current_session_id=here.id,
    )
    db.commit()

    stored = _stored(engine, user)
    assert stored.security_stamp == stamp + 1
    assert passwords(settings).verify(stored.password_hash, NEW_PASSWORD)
    assert not passwords(settings).verify(stored.password_hash, PASSWORD)
    assert _live_ids(db, user) == {here.id}
    assert elsewhere.id not in _live_ids(db, user)
    assert _live_ids(db, bystander) == {theirs.id}

    # Tokens issued before the change stop working; the bystander's do not.
    with pytest.raises(NotAuthenticated):
        principals.authenticate_access(db, settings=settings, token=pair.access_token)
    with pytest.raises(InvalidRefreshToken):
        api_tokens.refresh(db, settings=settings, refresh_token=pair.refresh_token, ctx=CTX)
    db.rollback()
    assert principals.authenticate_access(db, settings=settings, token=their_pair.access_token)
    assert api_tokens.refresh(
        db, settings=settings, refresh_token=their_pair.refresh_token, ctx=CTX
    )


def test_live_sessions_name_the_device_and_mark_this_one(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    user = make_user()
    assert user.id is not None
    old = _start(db, settings, user, "192.0.2.9", "curl/8.5.0")
    gone = _start(db, settings, user, "192.0.2.8", "curl/8.5.0")
    browser_sessions.revoke(db, session_id=gone.id)
    db.commit()
    travel(browser_sessions.DEFAULT_SESSION_LIFETIME_SECONDS + 1)  # `old` has expired
    here = _start(db, settings, user, "192.0.2.1", CHROME_WINDOWS)
    travel(5)
    phone = _start(db, settings, user, "2001:db8::1", SAFARI_IPHONE)
    travel(5)
    laptop = _start(db, settings, user, "192.0.2.2", FIREFOX_LINUX)

    listed = profile.live_sessions(db, user_id=user.id, current_id=here.id)
    assert [(s.id, s.device, s.ip, s.current) for s in listed] == [
        (laptop.id, "Firefox on Linux", "192.0.2.2", False),
        (phone.id, "Safari on iPhone", "2001:db8::1", False),
        (here.id, "Chrome on Windows", "192.0.2.1", True),
    ]
    assert old.id not in {s.id for s in listed}
    assert all(s.created_at <= s.last_seen_at for s in listed)


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        ("Mozilla/5.0 (Windows NT 10.0) Chrome/124.0 Edg/124.0", "Edge on Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15", "Safari on macOS"),
        ("Mozilla/5.0 (Linux; Android 14) Chrome/124.0 Mobile Safari/537.36", "Chrome on Android"),
        ("curl/8.5.0", "curl"),
        ("python-httpx/0.28.1", "Python"),
        ("", "Browser"),
    ],
)
def test_device_names(agent: str, device: str) -> None:
    assert devices.describe_device(agent) == device


def test_sign_out_others(db: Session, settings: Settings, make_user: MakeUser) -> None:
    user = make_user()
    bystander = make_user()
    assert user.id is not None
    here = _start(db, settings, user, "192.0.2.1", CHROME_WINDOWS)
    for n in range(3):
        _start(db, settings, user, f"192.0.2.{10 + n}", FIREFOX_LINUX)
    theirs = _start(db, settings, bystander, "192.0.2.3", FIREFOX_LINUX)

    ended = profile.sign_out_others(db, user_id=user.id, current_id=here.id, ctx=CTX)
    db.commit()
    assert ended == 3
    assert _live_ids(db, user) == {here.id}
    assert _live_ids(db, bystander) == {theirs.id}
    assert profile.sign_out_others(db, user_id=user.id, current_id=here.id, ctx=CTX) == 0
