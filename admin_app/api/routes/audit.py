"""/api/audit: the security event log. Needs `audit:read`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from admin_app.api.deps import Caller, Database
from admin_app.api.params import IdFilter, PageNumber
from admin_app.api.routes.auth import ERRORS
from admin_app.services.audit import history

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=ERRORS)  # type: ignore[arg-type]


class EventOut(BaseModel):
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


class EventPage(BaseModel):
    items: list[EventOut]
    total: int
    page: int
    page_size: int


@router.get("")
def list_events(
    caller: Caller,
    db: Database,
    user_id: IdFilter = None,
    kind: str | None = Query(None, max_length=64),
    page: PageNumber = 1,
    page_size: int = Query(50, ge=1, le=100),
) -> EventPage:
    """Security events, newest first; filter by user and kind (`signin` or `signin.failed`)."""
    found = history.events(
        db, actor=caller, user_id=user_id, kind=kind, page=page, page_size=page_size
    )
    return EventPage(
        items=[EventOut(**vars(e)) for e in found.items],
        total=found.total,
        page=found.page,
        page_size=found.page_size,
    )
