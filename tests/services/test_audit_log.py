"""Reading the audit log (SPEC section 9): filters, pages, actors, the dashboard's daily counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import PermissionDenied, ValidationFailed
from admin_app.models import User
from admin_app.services.access import api_keys
from admin_app.services.accounts import reset_links
from admin_app.services.admin import manage
from admin_app.services.audit import history, trail
from admin_app.settings import Settings
from tests.conftest import CTX, KEY_SETTINGS
from tests.support.db import principal_of

# On SQLite and PostgreSQL (see tests/conftest.py): the audit search and the UTC days of
# daily_signins branch on the dialect.
pytestmark = pytest.mark.both_databases

MakeUser = Callable[..., User]
Travel = Callable[[float], None]
DAY = 24 * 3600


def _record(db: Session, kind: str, user: User | None = None, **detail: Any) -> None:
    trail.record(db, kind=kind, ctx=CTX, user_id=user.id if user else None, **detail)
    db.commit()


def test_events_come_newest_first_in_pages(db: Session, make_user: MakeUser) -> None:
    admin = make_user(password=None, admin=True)
    actor = principal_of(db, admin)
    baseline = history.events(db, actor=actor).total
    for n in range(5):
        _record(db, "test.event", admin, n=n)
    found = history.events(db, actor=actor, kind="test")
    assert (found.total, found.page, found.page_size) == (5, 1, 50)
    assert [e.detail for e in found.items] == [{"n": n} for n in (4, 3, 2, 1, 0)]
    stamps = [e.created_at for e in found.items]
    assert stamps == sorted(stamps, reverse=True)
    assert history.events(db, actor=actor).total == baseline + 5

    pages = [history.events(db, actor=actor, kind="test", page=p, page_size=2) for p in (1, 2, 3)]
    assert [[e.detail["n"] for e in p.items] for p in pages] == [[4, 3], [2, 1], [0]]
    assert {p.total for p in pages} == {5}
    first = found.items[0]
    assert (first.user_id, first.username, first.ip, first.user_agent) == (
        admin.id,
        admin.username,
        CTX.ip,
        CTX.user_agent,
    )
    with pytest.raises(ValidationFailed):
        history.events(db, actor=actor, page=0)
    with pytest.raises(ValidationFailed):
        history.events(db, actor=actor, page_size=101)


def test_filter_by_user_and_by_kind_family(db: Session, make_user: MakeUser) -> None:
    admin = make_user(password=None, admin=True)
    ada = make_user(password=None)
    grace = make_user(password=None)
    actor = principal_of(db, admin)
    _record(db, "signin.failed", ada)
    _record(db, "signin.succeeded", ada)
    _record(db, "signin.failed", grace)
    _record(db, "signup.started", grace)
    _record(db, "signins.bogus", grace)
    _record(db, "signin", None)

    def kinds(**filters: Any) -> list[tuple[str, int | None]]:
        found = history.events(db, actor=actor, **filters)
        assert found.total == len(found.items)
        return [(e.kind, e.user_id) for e in found.items]

    assert kinds(kind="signin") == [
        ("signin", None),
        ("signin.failed", grace.id),
        ("signin.succeeded", ada.id),
        ("signin.failed", ada.id),
    ]
    assert kinds(kind="signin.failed") == [("signin.failed", grace.id), ("signin.failed", ada.id)]
    assert kinds(kind="sign") == []
    assert kinds(kind="signup") == [("signup.started", grace.id)]
    assert kinds(kind="signin", user_id=ada.id) == [
        ("signin.succeeded", ada.id),
        ("signin.failed", ada.id),
    ]
    assert [k for k, _ in kinds(user_id=grace.id)] == [
        "signins.bogus",
        "signup.started",
        "signin.failed",
        "user.created",
    ]
    assert kinds(user_id=999_999) == []


def test_administrative_events_name_who_did_them(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    root = make_user(password=None, username="root", admin=True)
    ada = make_user(password=None, username="ada")
    key = api_keys.create(
        db,
        settings=KEY_SETTINGS,
        owner=principal_of(db, root),
        name="ci",
        wanted=["audit:read"],
        expires_at=None,
        ctx=CTX,
    )
    api_keys.revoke(db, user_id=root.id or 0, key_id=key.id, ctx=CTX)
    for changes in (
        manage.UserChanges(is_admin=True),
        manage.UserChanges(is_admin=False),
        manage.UserChanges(is_active=False),
    ):
        manage.update(
            db,
            actor=principal_of(db, root),
            user_id=ada.id or 0,
            changes=changes,
            ctx=CTX,
            settings=KEY_SETTINGS,
        )
    reset_links.issue(db, settings=settings, user=ada, ctx=CTX, actor_id=root.id)
    db.commit()

    found = history.events(db, actor=principal_of(db, root), page_size=100).items
    by_kind = {e.kind: e for e in found}
    for kind in ("role.granted", "role.revoked", "user.disabled", "reset_link.created"):
        event = by_kind[kind]
        assert (event.username, event.actor_username, event.ip) == ("ada", "root", CTX.ip), kind
    for kind in ("api_key.created", "api_key.revoked"):
        event = by_kind[kind]
        assert (event.user_id, event.username, event.ip) == (root.id, "root", CTX.ip), kind
        assert event.detail["key_id"] == key.id
    assert by_kind["api_key.created"].detail["permissions"] == ["audit:read"]
    assert by_kind["role.granted"].detail == {"role": "Admin"}


def test_reading_the_log_needs_audit_read(db: Session, make_user: MakeUser) -> None:
    plain = principal_of(db, make_user(password=None))
    with pytest.raises(PermissionDenied):
        history.events(db, actor=plain)
    with pytest.raises(PermissionDenied):
        history.daily_signins(db, actor=plain)


def test_daily_signins_cover_14_days_oldest_first(
    db: Session, make_user: MakeUser, travel: Travel
) -> None:
    admin = make_user(password=None, admin=True)
    expected: dict[dt.date, list[int]] = {}

    def signin(kind: str) -> None:
        _record(db, kind, admin)
        bucket = expected.setdefault(now().date(), [0, 0])
        bucket[0 if kind == "signin.succeeded" else 1] += 1

    signin("signin.succeeded")  # 20 days before the reading: too old to count
    travel(10 * DAY)
    for kind in ("signin.succeeded", "signin.succeeded", "signin.failed"):
        signin(kind)
    _record(db, "signup.started", admin)
    _record(db, "signin.locked", admin)
    travel(5 * DAY)
    signin("signin.failed")
    travel(5 * DAY)
    signin("signin.succeeded")

    days = history.daily_signins(db, actor=principal_of(db, admin))
    today = now().date()
    span = [today - dt.timedelta(days=13 - n) for n in range(14)]
    assert [d.day for d in days] == [day.strftime("%b %d") for day in span]
    assert [(d.signins, d.failures) for d in days] == [
        tuple(expected.get(day, [0, 0])) for day in span
    ]
    assert sum(d.signins for d in days) == 3
    assert sum(d.failures for d in days) == 2
    assert len(history.daily_signins(db, actor=principal_of(db, admin), days=7)) == 7


def test_daily_signins_count_utc_days_whatever_the_database_zone(
    db: Session, make_user: MakeUser
) -> None:
    import sqlalchemy as sa

    from admin_app.models import AuditEvent

    admin = make_user(admin=True)
    today = now().date()
    late_morning = dt.datetime.combine(today, dt.time(11), tzinfo=dt.UTC)
    db.execute(
        sa.insert(AuditEvent.__table__),  # type: ignore[attr-defined]
        [
            {
                "created_at": late_morning,
                "kind": "signin.succeeded",
                "ip": "",
                "user_agent": "",
                "detail": "",
            },
            {
                "created_at": late_morning - dt.timedelta(hours=22),
                "kind": "signin.failed",
                "ip": "",
                "user_agent": "",
                "detail": "",
            },
        ],
    )
    db.commit()
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("SET TIME ZONE 'Pacific/Kiritimati'"))
    days = history.daily_signins(db, actor=principal_of(db, admin))
    assert (days[-1].signins, days[-1].failures) == (1, 0)
    assert (days[-2].signins, days[-2].failures) == (0, 1)
