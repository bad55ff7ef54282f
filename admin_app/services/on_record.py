"""A failure kept on record although the error raised next rolls the caller back.

A wrong password, a replayed refresh token or a refused identity must leave
its audit row (and what it costs, such as a revoked token family) even
though the face's scope rolls back when the error reaches it. This is the one
place that rule is written: the caller's pending work is rolled back at once
(the raise would undo it anyway, and nothing of it may ride along), then the
failure is written in a transaction of its own and committed.

What a service counts before its work (a throttle take, a code's tries) is
committed by that step itself, before the failure is known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from admin_app.services.audit import trail
from admin_app.services.request_context import RequestContext


def keep(session: Session, write: Callable[[Session], object]) -> None:
    """Roll `session` back, then run `write` in its own transaction and commit it."""
    session.rollback()
    with Session(session.get_bind(), expire_on_commit=False) as own:
        write(own)
        own.commit()


def audit(
    session: Session,
    *,
    kind: str,
    ctx: RequestContext,
    user_id: int | None = None,
    **detail: Any,
) -> None:
    """Keep one audit event of a failure (see `keep`)."""
    keep(session, lambda own: trail.record(own, kind=kind, ctx=ctx, user_id=user_id, **detail))
