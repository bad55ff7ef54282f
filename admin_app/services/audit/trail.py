"""The audit log: one row per security event."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.clock import now
from admin_app.models import AuditEvent
from admin_app.services.request_context import RequestContext

# A Core insert built once: every sign-in writes one, and the ORM's unit of
# work would cost more than the insert itself.
_INSERT = sa.insert(AuditEvent.__table__)  # type: ignore[attr-defined]


def record(
    session: Session,
    *,
    kind: str,
    ctx: RequestContext,
    user_id: int | None = None,
    actor_id: int | None = None,
    **detail: Any,
) -> None:
    """Write an audit event in `session`'s transaction (it lands with the caller's commit)."""
    session.execute(
        _INSERT,
        {
            "created_at": now(),
            "kind": kind,
            "user_id": user_id,
            "actor_id": actor_id,
            "ip": ctx.ip[:64],
            "user_agent": ctx.user_agent[:512],
            "detail": json.dumps(detail, default=str, sort_keys=True) if detail else "",
        },
    )
