"""When a holder last proved who it is: the clock behind "sudo mode" (signin/reauth.py).

A holder is a browser session or an API token family (every access token of
one sign-in). A sign-in is a proof, so `browser_sessions.start` and
`api_tokens.issue_pair` mark their holder fresh; so does a re-authentication.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from admin_app.clock import now
from admin_app.models import FreshProof
from admin_app.settings import Settings

table = FreshProof.__table__  # type: ignore[attr-defined]


def session_holder(session_id: str) -> str:
    return f"session:{session_id}"


def family_holder(family_id: str) -> str:
    return f"family:{family_id}"


def window(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.factors.reauth_minutes)


def mark(session: Session, *, holder: str, user_id: int) -> None:
    """`holder` proved who it is just now."""
    moment = now()
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    session.execute(
        insert.values(holder=holder, user_id=user_id, proved_at=moment).on_conflict_do_update(
            index_elements=[table.c.holder], set_={"proved_at": moment, "user_id": user_id}
        )
    )


def is_fresh(session: Session, *, settings: Settings, holder: str | None, user_id: int) -> bool:
    if holder is None:
        return False
    row = session.get(FreshProof, holder, populate_existing=True)
    return row is not None and row.user_id == user_id and row.proved_at > now() - window(settings)
