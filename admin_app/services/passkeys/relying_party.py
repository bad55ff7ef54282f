"""Who the relying party is, from APP_URL: its id (the host), origin and name,
and the opaque user handle an account's passkeys carry."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from urllib.parse import urlsplit

from admin_app.security.keys import derive
from admin_app.settings import Settings

USER_HANDLE_PURPOSE = "webauthn-user"


@dataclasses.dataclass(frozen=True, kw_only=True)
class RelyingParty:
    id: str
    origin: str
    name: str


def of(settings: Settings) -> RelyingParty:
    """The relying party APP_URL names: a passkey made for it works only there."""
    return RelyingParty(
        id=urlsplit(settings.app_url).hostname or "localhost",
        origin=settings.app_origin,
        name=settings.app_name,
    )


def user_handle(settings: Settings, user_id: int) -> bytes:
    """The WebAuthn user handle of an account: an HMAC of its id, so a passkey
    says nothing about the account (no email, no counter) and needs no column."""
    key = derive(settings.jwt_secret, USER_HANDLE_PURPOSE)
    return hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).digest()
