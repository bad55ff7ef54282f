"""API keys: only a SHA-256 of the key and a visible prefix are kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from admin_app.clock import now


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64)
    # A JSON list drawn from the permission catalogue.
    permissions: str = Field(default="[]")
    created_at: dt.datetime = Field(default_factory=now)
    expires_at: dt.datetime | None = Field(default=None)
    last_used_at: dt.datetime | None = Field(default=None)
    revoked_at: dt.datetime | None = Field(default=None)
