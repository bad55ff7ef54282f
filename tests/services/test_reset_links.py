"""One-time password-reset links (SPEC sections 9 and 11)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app.api.errors import status_of
from admin_app.clock import now
from admin_app.errors import InvalidResetLink, NotAuthenticated, WeakPassword
from admin_app.models import AuditEvent, AuthSession, RefreshToken, ResetLink, User
from admin_app.services.access import api_tokens, browser_sessions, principals
from admin_app.services.accounts import reset_links, users
from admin_app.services.accounts.hasher import passwords
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD

MakeUser = Callable[..., User]
Travel = Callable[[float], None]
NEW_PASSWORD = "a completely fresh passphrase"
InvalidResetLink = InvalidResetLink


def _issue(db: Session, settings: Settings, user: User, actor: User | None = None) -> str:
    link = reset_links.issue(
        db, settings=settings, user=user, ctx=CTX, actor_id=actor.id if actor else None
    )
    db.commit()
    return _token(link.url)


def _token(url: str) -> str:
    [token] = parse_qs(urlsplit(url).query)["token"]
    return token


def _use(db: Session, settings: Settings, token: str, password: str = NEW_PASSWORD) -> User:
    try:
        user = reset_links.use(db, settings=settings, token=token, password=password, ctx=CTX)
    except Exception:
        db.rollback()
        raise
    db.commit()
    return user


def _hash_of(engine: Engine, user_id: int | None) -> str | None:
    with Session(engine) as fresh:
        row = fresh.get(User, user_id)
        assert row is not None
        return row.password_hash


def test_a_link_is_built_from_app_url_and_only_its_hash_is_stored(
    db: Session,
    engine: Engine,
    make_settings: Callable[..., Settings],
    make_user: MakeUser,
) -> None:
    settings = make_settings(APP_URL="https://admin.example.org/")
    admin = make_user(admin=True)
    ada = make_user()
    before = now()
    link = reset_links.issue(db, settings=settings, user=ada, ctx=CTX, actor_id=admin.id)
    db.commit()

    assert link.url.startswith("https://admin.example.org/reset-password?token=")
    token = _token(link.url)
    assert link.url == f"https://admin.example.org/reset-password?token={token}"
    assert len(token) >= 43
    assert before + dt.timedelta(hours=24) <= link.expires_at <= now() + dt.timedelta(hours=24)

    with Session(engine) as fresh:
        [row] = fresh.exec(select(ResetLink)).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (row.user_id, row.created_by, row.used_at) == (ada.id, admin.id, None)
    assert row.expires_at == link.expires_at
    assert token not in " ".join(str(v) for v in row.model_dump().values())
    # Two links never share a token.
    assert _issue(db, settings, ada, admin) != token


def test_using_a_link_sets_the_password_and_signs_out_everywhere(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    other = make_user()
    assert ada.id is not None and other.id is not None
    browser = browser_sessions.start(db, settings=settings, user_id=ada.id, ctx=CTX)
    bystander = browser_sessions.start(db, settings=settings, user_id=other.id, ctx=CTX)
    pair = api_tokens.issue_pair(db, settings=settings, user=ada, ctx=CTX, method="password")
    db.commit()
    token = _issue(db, settings, ada)
    assert reset_links.check(db, token=token).id == ada.id

    assert _use(db, settings, token).id == ada.id
    stored = _hash_of(engine, ada.id)
    assert passwords(settings).verify(stored, NEW_PASSWORD)
    assert not passwords(settings).verify(stored, PASSWORD)

    with Session(engine) as fresh:
        ended, untouched = fresh.get(AuthSession, browser.id), fresh.get(AuthSession, bystander.id)
        assert ended is not None and ended.revoked_at is not None
        assert untouched is not None and untouched.revoked_at is None
        refresh_rows = fresh.exec(select(RefreshToken).where(RefreshToken.user_id == ada.id)).all()
        assert refresh_rows and all(r.revoked_at is not None for r in refresh_rows)
        [event] = fresh.exec(select(AuditEvent).where(AuditEvent.kind == "password.reset")).all()
        assert event.user_id == ada.id
    with pytest.raises(NotAuthenticated):
        principals.authenticate_access(db, settings=settings, token=pair.access_token)

    # Single use.
    with pytest.raises(InvalidResetLink) as caught:
        _use(db, settings, token, "yet another long passphrase")
    assert (caught.value.code, status_of(caught.value)) == ("invalid_reset_link", 400)
    with pytest.raises(InvalidResetLink):
        reset_links.check(db, token=token)
    assert passwords(settings).verify(_hash_of(engine, ada.id), NEW_PASSWORD)


def test_a_link_lasts_24_hours(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    ada = make_user()
    token = _issue(db, settings, ada)
    travel(24 * 3600 - 60)
    assert reset_links.check(db, token=token).id == ada.id
    travel(61)
    with pytest.raises(InvalidResetLink):
        reset_links.check(db, token=token)
    with pytest.raises(InvalidResetLink):
        _use(db, settings, token)


def test_a_newer_link_kills_the_older_one(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    grace = make_user()
    older = _issue(db, settings, ada)
    graces = _issue(db, settings, grace)
    newer = _issue(db, settings, ada)
    with pytest.raises(InvalidResetLink):
        _use(db, settings, older)
    # Another user's link is untouched.
    assert reset_links.check(db, token=graces).id == grace.id
    assert _use(db, settings, newer).id == ada.id
    assert passwords(settings).verify(_hash_of(engine, ada.id), NEW_PASSWORD)


def test_a_password_change_kills_outstanding_links(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    token = _issue(db, settings, ada)
    users.set_password(db, settings=settings, user=ada, password=NEW_PASSWORD, ctx=CTX)
    db.commit()
    with pytest.raises(InvalidResetLink):
        _use(db, settings, token, "yet another long passphrase")


def test_a_refused_password_leaves_the_link_usable(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user(username="adalovelace1815", email="ada@example.com")
    token = _issue(db, settings, ada)
    for weak in ("short", "password1234", "AdaLovelace1815", "ada@example.com"):
        with pytest.raises(WeakPassword):
            _use(db, settings, token, weak)
    assert passwords(settings).verify(_hash_of(engine, ada.id), PASSWORD)
    _use(db, settings, token)
    assert passwords(settings).verify(_hash_of(engine, ada.id), NEW_PASSWORD)


def test_made_up_tokens_are_refused(db: Session, settings: Settings, make_user: MakeUser) -> None:
    ada = make_user()
    token = _issue(db, settings, ada)
    for wrong in ("", token[:-1], token + "x", token.upper(), "x" * 129, token * 4):
        with pytest.raises(InvalidResetLink):
            reset_links.check(db, token=wrong)
    assert reset_links.check(db, token=token).id == ada.id


def test_creation_is_audited_with_the_admin(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    admin = make_user(admin=True)
    ada = make_user()
    token = _issue(db, settings, ada, admin)
    with Session(engine) as fresh:
        [event] = fresh.exec(
            select(AuditEvent).where(col(AuditEvent.kind) == "reset_link.created")
        ).all()
    assert (event.user_id, event.actor_id, event.ip) == (ada.id, admin.id, CTX.ip)
    assert token not in event.detail
