"""Refresh tokens: one row per issued token, chained into rotation families."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from admin_app.clock import now


class RefreshToken(SQLModel, table=True):
    """The token itself is a signed JWT naming this row (`jti`); the row holds its fate.

    Rotation marks a row used and points it at its successor; presenting a
    used row after the grace window revokes the whole family.
    """

    __tablename__ = "refresh_tokens"

    id: str = Field(primary_key=True, max_length=64)
    family_id: str = Field(max_length=64, index=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    created_at: dt.datetime = Field(default_factory=now)
    expires_at: dt.datetime
    used_at: dt.datetime | None = Field(default=None)
    replaced_by: str | None = Field(default=None, max_length=64)
    revoked_at: dt.datetime | None = Field(default=None)
