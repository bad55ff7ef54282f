"""Second factors: authenticator apps, recovery codes, trusted browsers, and
the fresh proofs that sensitive changes ask for."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from admin_app.clock import now


def _owner() -> Column[int]:
    return Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False)


class TotpFactor(SQLModel, table=True):
    """An authenticator app (RFC 6238). It counts once `confirmed_at` is set:
    the user typed a code from it. The secret is sealed (AES-GCM, a key
    derived from the app's secret), never stored in the clear."""

    __tablename__ = "totp_factors"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_owner())
    name: str = Field(max_length=64)
    secret_sealed: str = Field(max_length=255)
    created_at: dt.datetime = Field(default_factory=now)
    confirmed_at: dt.datetime | None = Field(default=None)
    # The last 30-second step a code was accepted for: a code is good once.
    last_step: int = Field(default=0)
    last_used_at: dt.datetime | None = Field(default=None)


class RecoveryCode(SQLModel, table=True):
    """One single-use recovery code, kept as a salted HMAC (ASVS 2.6.2)."""

    __tablename__ = "recovery_codes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_owner())
    salt: str = Field(max_length=32)
    code_hmac: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=now)
    used_at: dt.datetime | None = Field(default=None)


class TrustedBrowser(SQLModel, table=True):
    """A browser that may skip the second step; its cookie holds a token
    whose SHA-256 is the id. Bound to the security stamp it was made under:
    a password change or reset ends every one."""

    __tablename__ = "trusted_browsers"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(sa_column=_owner())
    security_stamp: int
    created_at: dt.datetime = Field(default_factory=now)
    expires_at: dt.datetime
    last_used_at: dt.datetime | None = Field(default=None)
    revoked_at: dt.datetime | None = Field(default=None)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=512)


class FreshProof(SQLModel, table=True):
    """Until when the holder (a browser session or an API token family) may make
    sensitive changes: REAUTH_MINUTES after it last proved who it is (a
    sign-in, the password, a factor)."""

    __tablename__ = "fresh_proofs"

    holder: str = Field(primary_key=True, max_length=80)
    user_id: int = Field(sa_column=_owner())
    fresh_until: dt.datetime
