"""Reading the audit log: filters, pages, and the dashboard's daily counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.clock import now
from admin_app.models import AuditEvent, User
from admin_app.services.access import permissions
from admin_app.services.access.principals import Principal
from admin_app.services.paging import Page, bounds

_events = AuditEvent.__table__  # type: ignore[attr-defined]
_users = User.__table__  # type: ignore[attr-defined]
_actors = _users.alias("actors")


@dataclasses.dataclass(frozen=True, kw_only=True)
class EventRow:
    id: int
    created_at: dt.datetime
    kind: str
    user_id: int | None
    username: str | None
    actor_id: int | None
    actor_username: str | None
    ip: str
    user_agent: str
    detail: dict[str, Any]


def events(
    session: Session,
    *,
    actor: Principal,
    user_id: int | None = None,
    kind: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[EventRow]:
    """Security events, newest first."""
    actor.require(permissions.AUDIT_READ)
    limit, offset = bounds(page, page_size)
    conditions = []
    if user_id is not None:
        conditions.append(_events.c.user_id == user_id)
    if kind:
        # A family of kinds ("signin") or one kind ("signin.failed").
        conditions.append(
            sa.or_(
                _events.c.kind == kind,
                _events.c.kind.startswith(kind + ".", autoescape=True),
            )
        )
    if since is not None:
        conditions.append(_events.c.created_at >= since)
    if until is not None:
        conditions.append(_events.c.created_at < until)
    where = sa.and_(sa.true(), *conditions)
    total = session.execute(sa.select(sa.func.count()).select_from(_events).where(where)).scalar()
    rows = session.execute(
        sa.select(
            _events.c.id,
            _events.c.created_at,
            _events.c.kind,
            _events.c.user_id,
            _users.c.username,
            _events.c.actor_id,
            _actors.c.username.label("actor_username"),
            _events.c.ip,
            _events.c.user_agent,
            _events.c.detail,
        )
        .select_from(
            _events.outerjoin(_users, _users.c.id == _events.c.user_id).outerjoin(
                _actors, _actors.c.id == _events.c.actor_id
            )
        )
        .where(where)
        .order_by(_events.c.created_at.desc(), _events.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return Page(
        items=[
            EventRow(**{**row._mapping, "detail": json.loads(row.detail) if row.detail else {}})
            for row in rows
        ],
        total=int(total or 0),
        page=page,
        page_size=page_size,
    )


@dataclasses.dataclass(frozen=True)
class DayCount:
    day: str
    signins: int
    failures: int


def daily_signins(session: Session, *, actor: Principal, days: int = 14) -> list[DayCount]:
    """Sign-ins and failures per day (UTC) over the last `days` days, oldest first."""
    actor.require(permissions.AUDIT_READ)
    today = now().date()
    start = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), tzinfo=dt.UTC)
    column = _events.c.created_at
    if session.get_bind().dialect.name == "postgresql":
        # Days in UTC, whatever the database server's time zone.
        column = sa.func.timezone("UTC", column)
    day = sa.func.date(column)
    rows = session.execute(
        sa.select(day, _events.c.kind, sa.func.count())
        .where(
            _events.c.created_at >= start,
            _events.c.kind.in_(["signin.succeeded", "signin.failed"]),
        )
        .group_by(day, _events.c.kind)
    ).all()
    counts = {today - dt.timedelta(days=n): [0, 0] for n in range(days)}
    for raw_day, kind, count in rows:
        key = raw_day if isinstance(raw_day, dt.date) else dt.date.fromisoformat(str(raw_day))
        if (bucket := counts.get(key)) is not None:
            bucket[0 if kind == "signin.succeeded" else 1] += int(count)
    return [
        DayCount(day=day.strftime("%b %d"), signins=value[0], failures=value[1])
        for day, value in sorted(counts.items())
    ]
