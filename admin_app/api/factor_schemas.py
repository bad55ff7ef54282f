"""Request and response bodies of a user's own second factors and re-authentication."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admin_app.api.passkey_schemas import Credential, PasskeyOut

ReauthMethod = Literal["password", "passkey", "totp", "recovery", "email"]


class AppOut(BaseModel):
    """An authenticator app (TOTP) that counts: confirmed with a code from it."""

    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class TrustedBrowserOut(BaseModel):
    """A browser whose sign-ins skip the second step until `expires_at`."""

    id: str
    # "Firefox on Linux", from the browser's User-Agent.
    device: str
    ip: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None


class FactorsOut(BaseModel):
    apps: list[AppOut]
    recovery_codes_left: int
    trusted_browsers: list[TrustedBrowserOut]
    passkeys: list[PasskeyOut]
    # The proofs `/auth/reauthenticate` takes from this user, the usual first.
    reauth_methods: list[ReauthMethod]


class TotpStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Such as the phone the app is on (the service allows 64 characters).
    name: str = Field(max_length=200)


class TotpStartOut(BaseModel):
    """Scan `qr_svg` (or type `secret`) into the app, then confirm with a code from it."""

    factor_id: int
    name: str
    secret: str
    otpauth_uri: str
    qr_svg: str


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=16)


class ConfirmedOut(BaseModel):
    app: AppOut
    # Made with the first app, shown here only; empty for a later app.
    recovery_codes: list[str]


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class ReauthIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: ReauthMethod
    password: str | None = Field(default=None, max_length=4096)
    # The authenticator's or recovery code, or the mailed code (`email`).
    code: str | None = Field(default=None, max_length=16)
    # From `POST /auth/reauthenticate/email-code` (`email`).
    otp_session_id: str | None = Field(default=None, max_length=64)
    # The browser's answer to `POST /auth/reauthenticate/passkey-options` (`passkey`).
    credential: Credential | None = None


class ReauthCodeOut(BaseModel):
    """A code on its way to the user's email, for `POST /auth/reauthenticate`."""

    status: Literal["code_sent"] = "code_sent"
    otp_session_id: str
    expires_in: int
    sent_to: str
    resend_in: int
