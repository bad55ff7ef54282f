"""Delete what has expired, so that no table grows without bound from anonymous requests.

Anyone can make code rows (sign-in starts, decoys), throttle rows (failures)
and tickets; they are worth nothing once expired. Each rule keeps a margin
past the point where the row stops mattering, so a limit that counts recent
rows (codes an hour, failures in a window) never loses a row it still counts.
Run by the backend every few minutes (admin_app.startup); safe to run from
several workers at once: each statement is one idempotent DELETE.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.clock import now
from admin_app.models import (
    AuditEvent,
    AuthSession,
    HandoffTicket,
    OneTimeCode,
    PasskeyChallenge,
    RateLimit,
    RefreshToken,
    ResetLink,
)
from admin_app.services.limits import throttle

# Past every window that counts rows (codes an hour, tries a day).
MARGIN = dt.timedelta(days=1)
CHALLENGE_MARGIN = dt.timedelta(minutes=10)


@dataclasses.dataclass(frozen=True)
class Removed:
    codes: int
    tickets: int
    sessions: int
    refresh_tokens: int
    reset_links: int
    rate_limits: int
    audit_events: int
    passkey_challenges: int = 0


def _delete(session: Session, table: sa.Table, condition: sa.ColumnElement[bool]) -> int:
    return session.execute(sa.delete(table).where(condition)).rowcount or 0  # type: ignore[attr-defined]


def run(session: Session, *, audit_retention_days: int) -> Removed:
    """Delete expired rows; the counts removed, per kind."""
    moment = now()
    old = moment - MARGIN
    codes = OneTimeCode.__table__  # type: ignore[attr-defined]
    tickets = HandoffTicket.__table__  # type: ignore[attr-defined]
    sessions = AuthSession.__table__  # type: ignore[attr-defined]
    refresh = RefreshToken.__table__  # type: ignore[attr-defined]
    resets = ResetLink.__table__  # type: ignore[attr-defined]
    limits = RateLimit.__table__  # type: ignore[attr-defined]
    audit = AuditEvent.__table__  # type: ignore[attr-defined]
    challenges = PasskeyChallenge.__table__  # type: ignore[attr-defined]
    removed_tickets = _delete(session, tickets, tickets.c.expires_at < old)
    ended = sa.or_(sessions.c.expires_at < old, sessions.c.revoked_at < old)
    # A ticket points at its session: those of ended sessions go first.
    removed_tickets += _delete(
        session, tickets, tickets.c.session_id.in_(sa.select(sessions.c.id).where(ended))
    )
    return Removed(
        codes=_delete(session, codes, codes.c.expires_at < old),
        tickets=removed_tickets,
        sessions=_delete(session, sessions, ended),
        refresh_tokens=_delete(session, refresh, refresh.c.expires_at < old),
        reset_links=_delete(session, resets, resets.c.expires_at < old),
        # Quiet past the throttle's own reset and every budget's window (a day
        # at most), no wait running, and no account's failure streak: the
        # 100-failure lock of an account is never forgotten by waiting.
        rate_limits=_delete(
            session,
            limits,
            sa.and_(
                limits.c.updated_at < moment - throttle.QUIET_RESET - MARGIN,
                sa.or_(limits.c.blocked_until.is_(None), limits.c.blocked_until < moment),
                sa.or_(limits.c.streak == 0, ~limits.c.key.startswith(throttle.ACCOUNT_PREFIX)),
            ),
        ),
        audit_events=_delete(
            session, audit, audit.c.created_at < moment - dt.timedelta(days=audit_retention_days)
        ),
        # A passkey challenge lives two minutes and no window counts it.
        passkey_challenges=_delete(
            session, challenges, challenges.c.expires_at < moment - CHALLENGE_MARGIN
        ),
    )
