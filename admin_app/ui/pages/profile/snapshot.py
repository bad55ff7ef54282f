"""What /profile shows of the signed-in user, read in one transaction."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlmodel import Session

from admin_app.services.accounts import profile
from admin_app.services.signin import identities


@dataclasses.dataclass(frozen=True)
class SessionLine:
    """One signed-in session of the user."""

    device: str
    ip: str
    last_seen: str
    current: bool


@dataclasses.dataclass(frozen=True)
class LinkedProvider:
    name: str
    label: str


@dataclasses.dataclass(frozen=True)
class Snapshot:
    full_name: str
    has_password: bool
    mfa_enabled: bool
    sessions: list[SessionLine]
    linked: list[LinkedProvider]


def snapshot(db: Session, *, user: Any, session_id: str) -> Snapshot:
    # `user` is the service's row (pages import no tables); only these fields are read.
    listed = profile.live_sessions(db, user_id=user.id, current_id=session_id)
    return Snapshot(
        linked=[
            LinkedProvider(name=name, label=identities.LABELS.get(name, name))
            for name in identities.linked(db, user_id=user.id)
        ],
        full_name=user.full_name,
        has_password=user.password_hash is not None,
        mfa_enabled=user.mfa_enabled,
        sessions=[
            SessionLine(
                device=s.device,
                ip=s.ip or "unknown",
                last_seen=s.last_seen_at.strftime("%Y-%m-%d %H:%M UTC"),
                current=s.current,
            )
            for s in listed
        ],
    )
