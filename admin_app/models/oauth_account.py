"""Links between a provider account (Google, GitHub, Microsoft) and a user."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from admin_app.clock import now


class OAuthAccount(SQLModel, table=True):
    __tablename__ = "oauth_accounts"
    __table_args__ = (UniqueConstraint("provider", "subject", name="ux_oauth_provider_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    # The provider's stable account id (OIDC `sub`, GitHub's numeric id).
    subject: str = Field(max_length=255)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    email: str | None = Field(default=None, max_length=320)
    created_at: dt.datetime = Field(default_factory=now)
