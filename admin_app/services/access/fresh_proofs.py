"""Fresh proofs: the rule behind "sudo mode" (SPEC sections 3 and 11).

Changing the password, adding or removing a factor, new recovery codes, a new
API key, and an admin granting Admin or making a reset link need a proof of
who is asking within the last REAUTH_MINUTES (`require`). A proof belongs to
its *holder*: a browser session, or an API token family (every access token
of one sign-in). A sign-in is a proof, so `browser_sessions.start` and
`api_tokens.issue_pair` mark their holder fresh; so does a re-authentication
(signin/reauth.py). An API key is exempt: making one took a fresh proof, and
the scripts that hold one have nobody to ask.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import ProofNeeded
from admin_app.models import FreshProof
from admin_app.settings import Settings

table = FreshProof.__table__  # type: ignore[attr-defined]


class Asking(Protocol):
    """Who asks for a sensitive change (a `principals.Principal`)."""

    @property
    def user_id(self) -> int: ...
    @property
    def via_key(self) -> bool: ...
    @property
    def proof_holder(self) -> str | None: ...


def session_holder(session_id: str) -> str:
    return f"session:{session_id}"


def family_holder(family_id: str) -> str:
    return f"family:{family_id}"


def fresh_until(settings: Settings) -> dt.datetime:
    """A proof given now holds this long (REAUTH_MINUTES)."""
    return now() + dt.timedelta(minutes=settings.factors.reauth_minutes)


def mark(session: Session, *, holder: str, user_id: int, until: dt.datetime) -> None:
    """`holder` proved who it is: it may make sensitive changes `until` then."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    session.execute(
        insert.values(holder=holder, user_id=user_id, fresh_until=until).on_conflict_do_update(
            index_elements=[table.c.holder], set_={"fresh_until": until, "user_id": user_id}
        )
    )


def is_fresh(session: Session, *, holder: str | None, user_id: int) -> bool:
    if holder is None:
        return False
    row = session.get(FreshProof, holder, populate_existing=True)
    return row is not None and row.user_id == user_id and row.fresh_until > now()


def require(session: Session, *, actor: Asking) -> None:
    """ProofNeeded unless `actor` proved who it is within the window (API keys are exempt)."""
    if actor.via_key:
        return
    if not is_fresh(session, holder=actor.proof_holder, user_id=actor.user_id):
        raise ProofNeeded()
