"""One-time password-reset links handed over out of band."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from admin_app.clock import now


class ResetLink(SQLModel, table=True):
    __tablename__ = "reset_links"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL")),
    )
    created_at: dt.datetime = Field(default_factory=now)
    expires_at: dt.datetime
    used_at: dt.datetime | None = Field(default=None)
