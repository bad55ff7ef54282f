"""Counts for the dashboard."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func
from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.models import AuthSession, User


@dataclasses.dataclass(frozen=True)
class Counts:
    users: int
    active_users: int
    live_sessions: int


def counts(session: Session) -> Counts:
    moment = now()
    users = session.exec(select(func.count()).select_from(User)).one()
    active = session.exec(select(func.count()).select_from(User).where(col(User.is_active))).one()
    live = session.exec(
        select(func.count())
        .select_from(AuthSession)
        .where(col(AuthSession.revoked_at).is_(None), AuthSession.expires_at > moment)
    ).one()
    return Counts(users=users, active_users=active, live_sessions=live)
