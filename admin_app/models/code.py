"""One-time email codes, parked with the half-finished flow they belong to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from admin_app.clock import now


class OneTimeCode(SQLModel, table=True):
    __tablename__ = "one_time_codes"

    # The id is the `otp_session_id` a client holds; the code itself is only
    # stored as an HMAC bound to this id, the user and the purpose.
    id: str = Field(primary_key=True, max_length=64)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True),
    )
    email: str = Field(max_length=320, index=True)
    purpose: str = Field(max_length=32)
    code_hmac: str = Field(max_length=64)
    attempts: int = Field(default=0)
    payload: str | None = Field(default=None)
    created_at: dt.datetime = Field(default_factory=now)
    expires_at: dt.datetime
    consumed_at: dt.datetime | None = Field(default=None)
    # A sign-in started while a code for the same user was live shares that
    # code (the row it names) instead of mailing another: strangers who type
    # someone's address neither flood the mailbox nor spend its code budget.
    code_of: str | None = Field(default=None, max_length=64)
