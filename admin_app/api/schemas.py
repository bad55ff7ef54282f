"""Request and response bodies of the auth API, by direction."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Short = Field(default=None, max_length=320)
# How a sign-in step is met (services/signin/plan.py `Method`).
Method = Literal["email", "totp", "recovery", "passkey"]
# The methods met by a typed code (a passkey answers at /auth/passkeys/factor).
CodeMethod = Literal["email", "totp", "recovery"]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Short
    username: str | None = Short
    password: str | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _one_identifier(self) -> LoginIn:
        if not (self.email or self.username):
            raise ValueError("give an email or a username")
        return self

    @property
    def identifier(self) -> str:
        return self.email or self.username or ""


class VerifyOtpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    otp_session_id: str = Field(max_length=64)
    # A 6-digit code, or a recovery code (14 characters with its dashes).
    code: str = Field(max_length=16)
    # Which of the step's `methods` the code is for; the first offered when left out.
    method: CodeMethod | None = None


class ResendOtpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    otp_session_id: str = Field(max_length=64)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(max_length=4096)


class SignupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    password: str | None = Field(default=None, max_length=4096)


class TokensOut(BaseModel):
    status: Literal["ok"] = "ok"
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


class OtpRequiredOut(BaseModel):
    status: Literal["otp_required"] = "otp_required"
    otp_session_id: str
    expires_in: int
    sent_to: str
    resend_in: int
    # How this step may be met, the one to offer first first: ["email"] for a
    # mailed code; ["totp", "recovery"] (and "email" where the mode or the
    # user's MFA uses it) for a second factor.
    methods: list[Method] = Field(default=["email"])
    # Whether the email code has gone out: a factor step mails it only when
    # asked (`/auth/resend-otp`).
    code_mailed: bool = True


class MeOut(BaseModel):
    id: int
    username: str
    full_name: str
    email: str
    mfa_enabled: bool
    roles: list[str]
    permissions: list[str]


class ErrorOut(BaseModel):
    detail: str
    code: str
