"""User administration (SPEC section 9): search, filters, paging, changes, the last-Admin rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app.api.errors import status_of
from admin_app.errors import (
    EmailTaken,
    InvalidRefreshToken,
    InvalidUsername,
    LastAdmin,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    UsernameTaken,
    ValidationFailed,
)
from admin_app.models import ApiKey, AuditEvent, AuthSession, RefreshToken, ResetLink, User
from admin_app.services.access import api_keys, api_tokens, browser_sessions, principals
from admin_app.services.accounts import reset_links, users
from admin_app.services.accounts.hasher import passwords
from admin_app.services.admin import directory, manage
from admin_app.settings import Settings
from tests.conftest import CTX, KEY_SETTINGS, PASSWORD
from tests.support.db import principal_of
from tests.support.smtp import SmtpServer

# On SQLite and PostgreSQL (see tests/conftest.py): the user search branches on the dialect (FTS5
# or trigram LIKE), the last-Admin rule locks rows on PostgreSQL only, and names are taken in any
# case.
pytestmark = pytest.mark.both_databases

MakeUser = Callable[..., User]
Travel = Callable[[float], None]
Changes = manage.UserChanges


def _names(page: directory.Page[directory.UserRow]) -> list[str]:
    return [row.username for row in page.items]


def _update(db: Session, actor: User, target: User, **changes: Any) -> directory.UserRow:
    try:
        row = manage.update(
            db,
            actor=principal_of(db, actor),
            user_id=target.id or 0,
            changes=Changes(**changes),
            ctx=CTX,
            settings=KEY_SETTINGS,
        )
    except Exception:
        db.rollback()
        raise
    db.commit()
    return row


def _delete(db: Session, actor: User, target: User) -> None:
    try:
        manage.delete(db, actor=principal_of(db, actor), user_id=target.id or 0, ctx=CTX)
    except Exception:
        db.rollback()
        raise
    db.commit()
    # The delete is a Core statement: forget the ORM objects of the rows it removed.
    db.expunge_all()


def _events(engine: Engine, kind: str) -> list[AuditEvent]:
    with Session(engine) as fresh:
        return list(
            fresh.exec(
                select(AuditEvent).where(AuditEvent.kind == kind).order_by(col(AuditEvent.id))
            ).all()
        )


@pytest.fixture
def people(db: Session, make_user: MakeUser) -> dict[str, User]:
    """Six users to search through; `root` is the acting Admin."""
    made = {
        "root": make_user(
            password=None, username="root", email="root@corp.example", full_name="Root", admin=True
        ),
        "ada": make_user(
            password=None,
            username="ada_lovelace",
            email="ada@analytical.example",
            full_name="Ada Lovelace",
        ),
        "decoy": make_user(
            password=None,
            username="adaxlovelace",
            email="decoy@corp.example",
            full_name="Someone Else",
        ),
        "grace": make_user(
            password=None,
            username="ghopper",
            email="grace@navy.example",
            full_name="Grace Hopper",
            mfa=True,
        ),
        "alan": make_user(
            password=None,
            username="aturing",
            email="alan@bletchley.example",
            full_name="Alan Turing",
            active=False,
        ),
        "pct": make_user(
            password=None, username="pct100", email="pct@corp.example", full_name="Sure 100% Yes"
        ),
    }
    return made


def _search(db: Session, people: dict[str, User], **kwargs: Any) -> list[str]:
    found = directory.search(db, actor=principal_of(db, people["root"]), **kwargs)
    assert found.total == len(found.items)
    return _names(found)


def test_search_by_username_email_or_name_case_insensitively(
    db: Session, people: dict[str, User]
) -> None:
    cases = {
        "LOVELACE": ["ada_lovelace", "adaxlovelace"],
        "ada lov": ["ada_lovelace"],
        "Analytical": ["ada_lovelace"],
        "NAVY.example": ["ghopper"],
        "grace h": ["ghopper"],
        "tUrInG": ["aturing"],
        "Gh": ["ghopper"],
        "u": ["aturing", "pct100"],
        "zz": [],
        "nobody here": [],
        "": ["ada_lovelace", "adaxlovelace", "aturing", "ghopper", "pct100", "root"],
        "  hopper  ": ["ghopper"],
    }
    for query, expected in cases.items():
        assert sorted(_search(db, people, query=query)) == sorted(expected), query


def test_like_wildcards_in_a_search_are_literal(db: Session, people: dict[str, User]) -> None:
    cases = {
        "_": ["ada_lovelace"],
        "a_l": ["ada_lovelace"],
        "ada_lovelace": ["ada_lovelace"],
        "%": ["pct100"],
        "0%": ["pct100"],
        "100% y": ["pct100"],
        "a%e": [],
        "\\": [],
        "a\\_l": [],
    }
    for query, expected in cases.items():
        assert _search(db, people, query=query) == expected, query


def test_filters_combine_with_the_search(db: Session, people: dict[str, User]) -> None:
    assert _search(db, people, admin=True) == ["root"]
    assert "root" not in _search(db, people, admin=False)
    assert len(_search(db, people, admin=False)) == 5
    assert _search(db, people, active=False) == ["aturing"]
    assert "aturing" not in _search(db, people, active=True)
    assert _search(db, people, mfa=True) == ["ghopper"]
    assert _search(db, people, mfa=False, query="corp") == ["adaxlovelace", "pct100", "root"]
    assert _search(db, people, admin=False, active=True, mfa=False, query="a") == [
        "ada_lovelace",
        "adaxlovelace",
        "pct100",
    ]
    assert _search(db, people, admin=True, active=False) == []


def test_sorting(db: Session, people: dict[str, User]) -> None:
    by_name = _search(db, people, sort="full_name")
    assert by_name == ["ada_lovelace", "aturing", "ghopper", "root", "adaxlovelace", "pct100"]
    assert _search(db, people, sort="full_name", descending=True) == by_name[::-1]
    assert _search(db, people, sort="email") == [
        "ada_lovelace",
        "aturing",
        "adaxlovelace",
        "ghopper",
        "pct100",
        "root",
    ]
    assert _search(db, people, sort="created_at") == [
        "root",
        "ada_lovelace",
        "adaxlovelace",
        "ghopper",
        "aturing",
        "pct100",
    ]
    assert _search(db, people, sort="created_at", descending=True)[0] == "pct100"
    with pytest.raises(ValidationFailed):
        _search(db, people, sort="password_hash")


def test_paging_carries_the_total(db: Session, people: dict[str, User]) -> None:
    actor = principal_of(db, people["root"])
    seen: list[str] = []
    for number, size in ((1, 4), (2, 4)):
        page = directory.search(db, actor=actor, page=number, page_size=size)
        assert (page.total, page.page, page.page_size) == (6, number, 4)
        seen += _names(page)
    assert len(page.items) == 2
    assert seen == sorted(seen) and len(set(seen)) == 6
    beyond = directory.search(db, actor=actor, page=3, page_size=4)
    assert (beyond.items, beyond.total) == ([], 6)
    narrowed = directory.search(db, actor=actor, query="lovelace", page_size=1)
    assert (len(narrowed.items), narrowed.total) == (1, 2)
    for page_number, size in ((0, 10), (1, 0), (1, 101)):
        with pytest.raises(ValidationFailed):
            directory.search(db, actor=actor, page=page_number, page_size=size)


def test_every_operation_needs_its_permission(
    db: Session, settings: Settings, people: dict[str, User]
) -> None:
    plain = principal_of(db, people["ada"])
    target = people["grace"].id or 0
    attempts: list[Callable[[], object]] = [
        lambda: directory.search(db, actor=plain),
        lambda: directory.get_row(db, actor=plain, user_id=target),
        lambda: manage.update(
            db,
            actor=plain,
            user_id=target,
            changes=Changes(is_admin=True),
            ctx=CTX,
            settings=KEY_SETTINGS,
        ),
        lambda: manage.delete(db, actor=plain, user_id=target, ctx=CTX),
        lambda: manage.create(
            db,
            actor=plain,
            settings=settings,
            data=users.NewUser(username="eve", full_name="Eve", email="eve@example.com"),
            ctx=CTX,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    db.rollback()
    assert users.role_names(db, target) == ["User"]


def test_create_in_password_mode_sends_nothing(
    db: Session,
    engine: Engine,
    make_user: MakeUser,
    mail_settings: Callable[..., Settings],
    smtp_server: SmtpServer,
) -> None:
    root = make_user(username="root", admin=True)
    settings = mail_settings("password")
    row = manage.create(
        db,
        actor=principal_of(db, root),
        settings=settings,
        data=users.NewUser(
            username="Eve", full_name=" Eve  Adams ", email="EVE@Example.com", password=PASSWORD
        ),
        ctx=CTX,
    )
    db.commit()
    assert (row.username, row.email, row.full_name) == ("Eve", "eve@example.com", "Eve Adams")
    assert (row.is_admin, row.is_active, row.mfa_enabled) == (False, True, False)
    created = users.get(db, row.id)
    assert passwords(settings).verify(created.password_hash, PASSWORD)
    [event] = _events(engine, "user.created")[-1:]
    assert (event.user_id, event.actor_id) == (row.id, root.id)
    assert smtp_server.inbox.messages == []


def test_create_in_otp_mode_mails_a_welcome(
    db: Session,
    make_user: MakeUser,
    mail_settings: Callable[..., Settings],
    smtp_server: SmtpServer,
) -> None:
    root = make_user(username="root", admin=True)
    settings = mail_settings("otp", APP_URL="https://admin.example.org")
    row = manage.create(
        db,
        actor=principal_of(db, root),
        settings=settings,
        data=users.NewUser(
            username="eve",
            full_name="Eve",
            email="eve@example.com",
            password=PASSWORD,
            is_admin=True,
        ),
        ctx=CTX,
    )
    db.commit()
    assert row.is_admin is True
    # No passwords in otp mode, even when one is given.
    assert users.get(db, row.id).password_hash is None
    mail = smtp_server.inbox.wait_for("eve@example.com")
    text = smtp_server.inbox.text(mail)
    assert "eve" in text
    assert "https://admin.example.org/login" in text


def test_update_names_and_addresses_with_taken_checks(
    db: Session, engine: Engine, people: dict[str, User]
) -> None:
    root, ada, grace = people["root"], people["ada"], people["grace"]
    row = _update(
        db,
        root,
        ada,
        username="countess",
        full_name="  Augusta  Ada King ",
        email="AAK@Example.com",
    )
    assert (row.username, row.full_name, row.email) == (
        "countess",
        "Augusta Ada King",
        "aak@example.com",
    )
    assert _search(db, people, query="augusta") == ["countess"]
    assert _search(db, people, query="analytical") == []

    with pytest.raises(UsernameTaken):
        _update(db, root, ada, username="GHOPPER")
    with pytest.raises(EmailTaken):
        _update(db, root, ada, email="Grace@Navy.Example")
    with pytest.raises(InvalidUsername):
        _update(db, root, ada, username="no spaces")
    with pytest.raises(ValidationFailed):
        _update(db, root, ada, full_name="   ")
    # Their own name in another case is not "taken".
    assert _update(db, root, ada, username="Countess").username == "Countess"
    assert _update(db, root, grace, email="grace@navy.example").email == "grace@navy.example"
    assert users.get(db, ada.id or 0).email == "aak@example.com"
    assert len(_events(engine, "user.updated")) == 3


def test_disable_ends_sessions_refresh_tokens_and_access_tokens_then_enable(
    db: Session, engine: Engine, settings: Settings, people: dict[str, User]
) -> None:
    root, ada = people["root"], people["ada"]
    assert ada.id is not None
    browser = browser_sessions.start(db, settings=settings, user_id=ada.id, ctx=CTX)
    pair = api_tokens.issue_pair(db, settings=settings, user=ada, ctx=CTX, method="password")
    db.commit()
    assert principals.authenticate_access(db, settings=settings, token=pair.access_token)

    row = _update(db, root, ada, is_active=False)
    assert row.is_active is False
    with pytest.raises(NotAuthenticated):
        principals.authenticate_access(db, settings=settings, token=pair.access_token)
    with pytest.raises(InvalidRefreshToken):
        api_tokens.refresh(db, settings=settings, refresh_token=pair.refresh_token, ctx=CTX)
    db.rollback()
    with Session(engine) as fresh:
        ended = fresh.get(AuthSession, browser.id)
        assert ended is not None and ended.revoked_at is not None
        tokens = fresh.exec(select(RefreshToken).where(RefreshToken.user_id == ada.id)).all()
        assert tokens and all(t.revoked_at is not None for t in tokens)
    [event] = _events(engine, "user.disabled")
    assert (event.user_id, event.actor_id) == (ada.id, root.id)

    row = _update(db, root, ada, is_active=True)
    assert row.is_active is True
    # The old token stays dead; a new sign-in works.
    with pytest.raises(NotAuthenticated):
        principals.authenticate_access(db, settings=settings, token=pair.access_token)
    fresh_pair = api_tokens.issue_pair(db, settings=settings, user=ada, ctx=CTX, method="password")
    db.commit()
    principal = principals.authenticate_access(db, settings=settings, token=fresh_pair.access_token)
    assert principal.user_id == ada.id
    assert [e.actor_id for e in _events(engine, "user.enabled")] == [root.id]


def test_grant_and_remove_admin(db: Session, engine: Engine, people: dict[str, User]) -> None:
    root, ada = people["root"], people["ada"]
    assert _update(db, root, ada, is_admin=True).is_admin is True
    assert users.role_names(db, ada.id or 0) == ["Admin", "User"]
    assert "users:write" in principal_of(db, ada).permissions
    # Granting twice changes nothing.
    _update(db, root, ada, is_admin=True)
    assert _update(db, root, ada, is_admin=False).is_admin is False
    assert users.role_names(db, ada.id or 0) == ["User"]
    assert principal_of(db, ada).permissions == ["api_keys:write"]
    granted = _events(engine, "role.granted")
    revoked = _events(engine, "role.revoked")
    assert [(e.user_id, e.actor_id, json.loads(e.detail)) for e in granted + revoked] == [
        (ada.id, root.id, {"role": "Admin"}),
        (ada.id, root.id, {"role": "Admin"}),
    ]


def test_the_last_active_admin_stays(db: Session, engine: Engine, make_user: MakeUser) -> None:
    root = make_user(username="root", admin=True)
    retired = make_user(username="retired", admin=True, active=False)
    for changes in (
        {"is_admin": False},
        {"is_active": False},
        {"is_admin": False, "email": "x@y.z"},
    ):
        with pytest.raises(LastAdmin) as caught:
            _update(db, root, root, **changes)
        assert (caught.value.code, status_of(caught.value)) == ("last_admin", 409)
    with pytest.raises(LastAdmin):
        _delete(db, root, root)
    assert users.get(db, root.id or 0).is_active is True
    assert users.role_names(db, root.id or 0) == ["Admin", "User"]
    assert users.get(db, root.id or 0).email == "user1@example.com"

    # A disabled Admin may go; they are not counted as an active one.
    _update(db, root, retired, is_admin=False)
    _delete(db, root, retired)

    # With a second active Admin, either one can step down.
    second = make_user(username="second", admin=True)
    _update(db, root, root, is_admin=False)
    with pytest.raises(LastAdmin):
        _update(db, second, second, is_active=False)
    _update(db, second, root, is_admin=True)
    _update(db, root, second, is_active=False)
    with pytest.raises(LastAdmin):
        _delete(db, root, root)
    _update(db, root, second, is_active=True)
    _delete(db, second, root)
    with pytest.raises(NotFound):
        users.get(db, root.id or 0)


def test_delete_cascades_and_is_audited(
    db: Session, engine: Engine, settings: Settings, people: dict[str, User]
) -> None:
    root, grace = people["root"], people["grace"]
    assert grace.id is not None
    browser_sessions.start(db, settings=settings, user_id=grace.id, ctx=CTX)
    api_tokens.issue_pair(db, settings=settings, user=grace, ctx=CTX, method="password")
    reset_links.issue(db, settings=settings, user=grace, ctx=CTX, actor_id=root.id)
    db.commit()
    _update(db, root, grace, is_admin=True)
    key = api_keys.create(
        db,
        settings=KEY_SETTINGS,
        owner=principal_of(db, grace),
        name="ci",
        wanted=["users:read"],
        expires_at=None,
        ctx=CTX,
    )
    db.commit()

    _delete(db, root, grace)
    with Session(engine) as fresh:
        assert fresh.get(User, grace.id) is None
        assert fresh.exec(select(AuthSession).where(AuthSession.user_id == grace.id)).all() == []
        assert fresh.exec(select(RefreshToken).where(RefreshToken.user_id == grace.id)).all() == []
        assert fresh.exec(select(ApiKey).where(ApiKey.user_id == grace.id)).all() == []
        assert fresh.exec(select(ResetLink).where(ResetLink.user_id == grace.id)).all() == []
    with pytest.raises(NotAuthenticated):
        api_keys.authenticate(db, key=key.key)
    db.rollback()
    [event] = _events(engine, "user.deleted")
    assert event.actor_id == root.id
    assert json.loads(event.detail) == {"deleted_user_id": grace.id, "username": "ghopper"}
    assert _search(db, people, query="ghopper") == []
    with pytest.raises(NotFound):
        _delete(db, root, grace)


def test_get_row(db: Session, people: dict[str, User]) -> None:
    row = directory.get_row(
        db, actor=principal_of(db, people["root"]), user_id=people["grace"].id or 0
    )
    assert (row.username, row.email, row.full_name) == (
        "ghopper",
        "grace@navy.example",
        "Grace Hopper",
    )
    assert (row.is_admin, row.is_active, row.mfa_enabled) == (False, True, True)
    with pytest.raises(NotFound):
        directory.get_row(db, actor=principal_of(db, people["root"]), user_id=999_999)


def test_two_admins_cannot_demote_each_other_at_once(
    db: Session, engine: Engine, make_user: MakeUser
) -> None:
    import threading

    first = make_user(password=None, username="first", admin=True)
    second = make_user(password=None, username="second", admin=True)
    outcomes: list[str] = []

    def demote(
        actor_user: User, target: User, started: threading.Event, go: threading.Event
    ) -> None:
        # Both are Admins when they act: each is authenticated before either
        # change lands (read inside the race, the later one would be refused
        # for want of users:write instead of by the last-Admin rule).
        with Session(engine) as before:
            actor = principal_of(before, actor_user)
        with Session(engine) as own:
            try:
                started.set()
                go.wait(5)
                manage.update(
                    own,
                    actor=actor,
                    user_id=target.id or 0,
                    changes=Changes(is_admin=False),
                    ctx=CTX,
                    settings=KEY_SETTINGS,
                )
                own.commit()
                outcomes.append("demoted")
            except LastAdmin:
                own.rollback()
                outcomes.append("last_admin")

    go = threading.Event()
    events = [threading.Event(), threading.Event()]
    threads = [
        threading.Thread(target=demote, args=(first, second, events[0], go)),
        threading.Thread(target=demote, args=(second, first, events[1], go)),
    ]
    for thread in threads:
        thread.start()
    for event in events:
        event.wait(5)
    go.set()
    for thread in threads:
        thread.join(20)
    with Session(engine) as fresh:
        admins = [
            u.username for u in (first, second) if "Admin" in users.role_names(fresh, u.id or 0)
        ]
    assert sorted(outcomes) == ["demoted", "last_admin"]
    assert len(admins) == 1
