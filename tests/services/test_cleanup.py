"""Expired rows go: anonymous requests cannot make a table grow without bound."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from admin_app.clock import now
from admin_app.models import AuditEvent, AuthSession, HandoffTicket, OneTimeCode, RateLimit
from admin_app.services import cleanup
from admin_app.services.access import browser_sessions
from admin_app.services.audit import trail
from admin_app.services.email_codes import code_store
from admin_app.services.limits import throttle
from tests.conftest import CTX
from tests.support.db import count_rows

# On SQLite and PostgreSQL (see tests/conftest.py): deletes by age: timestamp comparisons, stored
# as text on SQLite.
pytestmark = pytest.mark.both_databases


def _anonymous_traffic(db: Session, settings, n: int = 30) -> None:  # type: ignore[no-untyped-def]
    """What strangers leave behind: decoy codes, failure counters, audit rows."""
    for i in range(n):
        code_store.issue(
            db, settings=settings, purpose="signin", email=f"nobody{i}@example.com", user_id=None
        )
        throttle.record_failure(db, settings=settings, identifier=f"nobody{i}", ip=f"192.0.2.{i}")
        trail.record(db, kind="signin.failed", ctx=CTX, identifier=f"nobody{i}")
    db.commit()


def test_fresh_rows_stay(db, settings) -> None:  # type: ignore[no-untyped-def]
    _anonymous_traffic(db, settings)
    removed = cleanup.run(db, audit_retention_days=400)
    db.commit()
    assert removed == cleanup.Removed(0, 0, 0, 0, 0, 0, 0)
    assert count_rows(db, OneTimeCode) == 30
    assert count_rows(db, RateLimit) >= 30


def test_expired_rows_go_and_live_ones_stay(db, settings, make_user, travel) -> None:  # type: ignore[no-untyped-def]
    _anonymous_traffic(db, settings)
    user = make_user()
    old = browser_sessions.start(db, settings=settings, user_id=user.id, ctx=CTX)
    browser_sessions.issue_handoff(db, session_id=old.id)
    db.commit()

    travel(2 * 24 * 3600)  # past every code, ticket, session lifetime and throttle reset
    moment = now()
    live = browser_sessions.start(db, settings=settings, user_id=user.id, ctx=CTX)
    code_store.issue(db, settings=settings, purpose="signin", email=user.email, user_id=user.id)
    db.commit()

    removed = cleanup.run(db, audit_retention_days=400)
    db.commit()
    assert removed.codes == 30
    assert removed.rate_limits >= 30
    assert removed.tickets == 1
    assert removed.sessions == 1
    assert count_rows(db, OneTimeCode) == 1
    # What is left is the budget of the live code, made after the wait.
    left = db.exec(sa.select(RateLimit.updated_at)).scalars().all()
    assert left and min(left) >= moment
    assert count_rows(db, HandoffTicket) == 0
    assert [row.id for row in db.exec(sa.select(AuthSession)).scalars()] == [live.id]
    # The audit log is kept for its retention.
    assert count_rows(db, AuditEvent) >= 30

    travel(400 * 24 * 3600)
    assert cleanup.run(db, audit_retention_days=400).audit_events >= 30
    db.commit()
    assert count_rows(db, AuditEvent) == 0


def test_a_failure_streak_is_never_forgotten(db, settings, make_user, travel) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    key = throttle.account_key(user.id)
    db.execute(
        sa.insert(RateLimit).values(
            key=key, failures=3, streak=42, window_start=now(), updated_at=now()
        )
    )
    db.commit()
    travel(30 * 24 * 3600)
    cleanup.run(db, audit_retention_days=400)
    db.commit()
    assert db.get(RateLimit, key) is not None
