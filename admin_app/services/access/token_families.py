"""Refresh-token families: revoke them all for a user."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col

from admin_app.clock import now
from admin_app.models import RefreshToken


def revoke_for_user(session: Session, *, user_id: int) -> int:
    result = session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_family(session: Session, *, family_id: str) -> None:
    session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now())
    )
