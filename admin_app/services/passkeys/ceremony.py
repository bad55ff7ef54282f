"""What both WebAuthn ceremonies share: the options a browser gets, the
credentials a user's passkeys are named by, the challenge an answer signed,
and the one refusal every failed check ends in (its reason audited, never
told). Registration makes a passkey (`registration.py`), authentication
proves one (`authentication.py`); py_webauthn does the checking.
"""

from __future__ import annotations

import dataclasses
import json
from typing import NoReturn

from sqlmodel import Session
from webauthn import options_to_json
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorTransport,
    COSEAlgorithmIdentifier,
    PublicKeyCredentialDescriptor,
)

from admin_app.errors import PasskeyRefused
from admin_app.models import Passkey, PasskeyChallenge
from admin_app.services import on_record
from admin_app.services.passkeys import challenges, credentials
from admin_app.services.request_context import RequestContext

ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
TIMEOUT_MS = int(challenges.LIFETIME.total_seconds() * 1000)
# An answer is a few kilobytes at most; anything longer is refused unread.
MAX_ANSWER = 64 * 1024
# What a malformed answer raises while it is parsed.
MALFORMED = (WebAuthnException, ValueError, KeyError, TypeError)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Options:
    """What the browser's `navigator.credentials.create`/`get` takes, and the attempt."""

    attempt_id: str
    options_json: str
    expires_in: int


def options_of(row: PasskeyChallenge, options: object) -> Options:
    return Options(
        attempt_id=row.id,
        options_json=options_to_json(options),  # type: ignore[arg-type]
        expires_in=int(challenges.LIFETIME.total_seconds()),
    )


def descriptors(rows: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    out = []
    for row in rows:
        transports = []
        for name in credentials.transports_of(row):
            try:
                transports.append(AuthenticatorTransport(name))
            except ValueError:
                continue
        out.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(row.credential_id), transports=transports or None
            )
        )
    return out


def challenge_of(credential: str) -> str:
    """The challenge the answer signed (its clientDataJSON's), or refused."""
    if len(credential) > MAX_ANSWER:
        raise PasskeyRefused()
    try:
        raw = json.loads(credential)
        client_data = base64url_to_bytes(raw["response"]["clientDataJSON"])
        return bytes_to_base64url(parse_client_data_json(client_data).challenge)
    except MALFORMED:
        raise PasskeyRefused() from None


def why(exc: Exception) -> str:
    """The audited reason of a refusal, in a few words (py_webauthn's message)."""
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def refused(
    session: Session, *, ctx: RequestContext, user_id: int | None, ceremony: str, reason: str
) -> NoReturn:
    on_record.audit(
        session, kind="passkey.refused", ctx=ctx, user_id=user_id, ceremony=ceremony, reason=reason
    )
    raise PasskeyRefused()
