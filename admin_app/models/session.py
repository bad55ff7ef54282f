"""Server-side sessions and the single-use tickets that hand one to a browser."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from admin_app.clock import now


class AuthSession(SQLModel, table=True):
    """One signed-in browser. Its id travels inside the signed `token` cookie."""

    __tablename__ = "sessions"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    created_at: dt.datetime = Field(default_factory=now)
    last_seen_at: dt.datetime = Field(default_factory=now)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = Field(default=None)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=512)


class HandoffTicket(SQLModel, table=True):
    """A seconds-long, single-use ticket: a Reflex state signs a user in, the
    browser carries the ticket to an HTTP route, and that route sets the
    HttpOnly cookie. Only the SHA-256 of the ticket is stored."""

    __tablename__ = "handoff_tickets"

    token_hash: str = Field(primary_key=True, max_length=64)
    session_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("sessions.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    expires_at: dt.datetime
    used_at: dt.datetime | None = Field(default=None)
    # The user ticked "trust this browser": the route sets that cookie too.
    trust_browser: bool = Field(default=False)
