"""Trusted browsers: "trust this browser" skips the second step there for a while.

The browser holds a random token in an HttpOnly cookie (set by the hand-off
route, like the session cookie); the server keeps its SHA-256 with the user
and the security stamp of that moment. A password change or reset moves the
stamp, which ends every trusted browser of the user at once; each can also be
revoked from /profile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.errors import NotFound
from admin_app.models import TrustedBrowser, User
from admin_app.security.randomness import digest, new_token
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

table = TrustedBrowser.__table__  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrustedInfo:
    id: str
    user_agent: str
    ip: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None


def lifetime(settings: Settings) -> dt.timedelta:
    return dt.timedelta(days=settings.factors.trust_browser_days)


def offered(settings: Settings) -> bool:
    """Whether "trust this browser" is offered at all (TRUST_BROWSER_DAYS=0 turns it off)."""
    return settings.factors.trust_browser_days > 0


def trust(session: Session, *, settings: Settings, user: User, ctx: RequestContext) -> str:
    """Trust the browser behind `ctx` for `user`; the cookie's value (shown once)."""
    assert user.id is not None
    token = new_token()
    moment = now()
    session.execute(
        sa.insert(table),
        {
            "id": digest(token),
            "user_id": user.id,
            "security_stamp": user.security_stamp,
            "created_at": moment,
            "expires_at": moment + lifetime(settings),
            "last_used_at": None,
            "revoked_at": None,
            "ip": ctx.ip[:64],
            "user_agent": ctx.user_agent[:512],
        },
    )
    return token


def _live(user: User, moment: dt.datetime) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        col(TrustedBrowser.user_id) == user.id,
        col(TrustedBrowser.security_stamp) == user.security_stamp,
        col(TrustedBrowser.revoked_at).is_(None),
        col(TrustedBrowser.expires_at) > moment,
    )


def holds(session: Session, *, user: User, token: str | None) -> bool:
    """Whether `token` (the browser's cookie) is a live trust of `user`."""
    if not token or len(token) > 128:
        return False
    moment = now()
    used = session.execute(
        sa.update(TrustedBrowser)
        .where(col(TrustedBrowser.id) == digest(token), *_live(user, moment))
        .values(last_used_at=moment)
    )
    return getattr(used, "rowcount", 0) == 1


def list_for(session: Session, *, user: User) -> list[TrustedInfo]:
    rows = session.exec(
        select(TrustedBrowser)
        .where(*_live(user, now()))
        .order_by(col(TrustedBrowser.created_at).desc())
    ).all()
    return [
        TrustedInfo(
            id=row.id,
            user_agent=row.user_agent,
            ip=row.ip,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
        )
        for row in rows
    ]


def revoke(session: Session, *, user_id: int, browser_id: str) -> None:
    ended = session.execute(
        sa.update(TrustedBrowser)
        .where(
            col(TrustedBrowser.id) == browser_id,
            col(TrustedBrowser.user_id) == user_id,
            col(TrustedBrowser.revoked_at).is_(None),
        )
        .values(revoked_at=now())
    )
    if getattr(ended, "rowcount", 0) != 1:
        raise NotFound("That browser is not trusted any more.")


def revoke_all(session: Session, *, user_id: int) -> int:
    ended = session.execute(
        sa.update(TrustedBrowser)
        .where(col(TrustedBrowser.user_id) == user_id, col(TrustedBrowser.revoked_at).is_(None))
        .values(revoked_at=now())
    )
    return int(getattr(ended, "rowcount", 0) or 0)
