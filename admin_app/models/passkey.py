"""Passkeys (WebAuthn credentials) and the challenges of their ceremonies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from admin_app.clock import now


class Passkey(SQLModel, table=True):
    """One registered passkey: its credential id, public key (COSE, base64url)
    and signature counter. A public key is no secret; the private key never
    leaves the user's authenticator."""

    __tablename__ = "passkeys"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    # base64url of the credential id (at most 1,023 bytes by the spec).
    credential_id: str = Field(max_length=1400, unique=True, index=True)
    public_key: str = Field(max_length=2048)
    sign_count: int = Field(default=0)
    name: str = Field(max_length=64)
    # JSON list of the authenticator's transports ("internal", "usb", "hybrid"...).
    transports: str = Field(default="[]", max_length=255)
    aaguid: str = Field(default="", max_length=36)
    # Synced (multi-device) passkey, and whether it is backed up now.
    multi_device: bool = Field(default=False)
    backed_up: bool = Field(default=False)
    created_at: dt.datetime = Field(default_factory=now)
    last_used_at: dt.datetime | None = Field(default=None)


class PasskeyChallenge(SQLModel, table=True):
    """A ceremony's challenge, kept server-side: used once, within two minutes,
    for the purpose and the attempt (`bound_to`) it was made for."""

    __tablename__ = "passkey_challenges"

    id: str = Field(primary_key=True, max_length=64)
    # "register", "signin", "factor" or "reauth".
    purpose: str = Field(max_length=16)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=True
        ),
    )
    # The attempt it belongs to: a factor step's id, a proof holder; "" for a sign-in.
    bound_to: str = Field(default="", max_length=80, index=True)
    challenge: str = Field(max_length=128)
    # What the ceremony carries (a new passkey's name).
    payload: str = Field(default="{}", max_length=512)
    created_at: dt.datetime = Field(default_factory=now)
    expires_at: dt.datetime = Field(index=True)
    used_at: dt.datetime | None = Field(default=None)
