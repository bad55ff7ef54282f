"""Request and response bodies of passkeys: signing in with one, meeting a
factor step with one, and a user's own list.

A browser's answer (`credential`) is the JSON object of
`PublicKeyCredential.toJSON()` (base64url fields); the service parses and
verifies it. Options go out as the object `navigator.credentials.create`
or `.get` takes, in its JSON form (`PublicKeyCredential.parseCreationOptionsFromJSON`
or `parseRequestOptionsFromJSON` turn it into the browser's own).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from admin_app.services.passkeys.ceremony import MAX_ANSWER, Options
from admin_app.services.passkeys.credentials import PasskeyInfo


def _bounded(value: dict[str, Any]) -> dict[str, Any]:
    # The body limit already keeps a request under 64 KiB; this says so of the field.
    if len(json.dumps(value)) > MAX_ANSWER:
        raise ValueError(f"a passkey's answer is at most {MAX_ANSWER} characters of JSON")
    return value


# The browser's `PublicKeyCredential.toJSON()`: id, rawId, type, response{...},
# clientExtensionResults, authenticatorAttachment.
Credential = Annotated[dict[str, Any], AfterValidator(_bounded)]
AttemptId = Annotated[str, Field(min_length=1, max_length=64)]


class PasskeyOut(BaseModel):
    """One of a user's passkeys."""

    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    # Synced between devices (a password manager's, a phone's cloud account).
    synced: bool

    @classmethod
    def of(cls, found: PasskeyInfo) -> PasskeyOut:
        return cls(
            id=found.id,
            name=found.name,
            created_at=found.created_at,
            last_used_at=found.last_used_at,
            synced=found.synced,
        )


class PasskeyOptionsOut(BaseModel):
    """What `navigator.credentials.create`/`get` takes, for `expires_in` seconds, once."""

    attempt_id: str
    # PublicKeyCredentialCreationOptionsJSON (adding one) or
    # PublicKeyCredentialRequestOptionsJSON (proving one).
    options: dict[str, Any]
    expires_in: int

    @classmethod
    def of(cls, made: Options) -> PasskeyOptionsOut:
        return cls(
            attempt_id=made.attempt_id,
            options=json.loads(made.options_json),
            expires_in=made.expires_in,
        )


class PasskeySignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # From `POST /auth/passkeys/signin/options`.
    attempt_id: AttemptId
    credential: Credential


class PasskeyStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The factor step's, from `otp_required`.
    otp_session_id: str = Field(max_length=64)


class PasskeyStepAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    otp_session_id: str = Field(max_length=64)
    credential: Credential


class PasskeyAddIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Such as the device or password manager holding it (the service takes 64 characters).
    name: str = Field(max_length=200)


class PasskeyMadeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential: Credential


class PasskeyAddedOut(BaseModel):
    passkey: PasskeyOut
    # Made with the first strong factor (app or passkey), shown here only; else empty.
    recovery_codes: list[str]
