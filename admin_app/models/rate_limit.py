"""Failure counters for throttling, shared by every worker through the database."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class RateLimit(SQLModel, table=True):
    __tablename__ = "rate_limits"

    # "acct:<user id>", "id:<hmac of the identifier>", "ip:<address or /64>",
    # "code:..."; identifiers are keyed by HMAC so the table holds no list of
    # who tried to sign in.
    key: str = Field(primary_key=True, max_length=128)
    failures: int = Field(default=0)
    window_start: dt.datetime
    blocked_until: dt.datetime | None = Field(default=None)
    updated_at: dt.datetime
    # Consecutive failures of an account, never reset by quiet: the hard lock.
    streak: int = Field(default=0)
    # Written by the attempt that was counted, so that attempt knows it was.
    nonce: str | None = Field(default=None, max_length=64)
