"""The audit log: one row per security event."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from admin_app.models import AuditEvent
from admin_app.services.context import RequestContext


def record(
    session: Session,
    *,
    kind: str,
    ctx: RequestContext,
    user_id: int | None = None,
    actor_id: int | None = None,
    **detail: Any,
) -> None:
    """Add an audit event to `session`; it is written with the caller's commit."""
    session.add(
        AuditEvent(
            kind=kind,
            user_id=user_id,
            actor_id=actor_id,
            ip=ctx.ip[:64],
            user_agent=ctx.user_agent[:512],
            detail=json.dumps(detail, default=str, sort_keys=True) if detail else "",
        )
    )
