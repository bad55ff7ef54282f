"""Authentication: proving a passkey (an *assertion*), for a sign-in, a
factor step or a re-authentication.

Every check is made here: the challenge is this attempt's and unused, the
origin and relying party are APP_URL's, the signature is the registered
key's, the user handle is the account's, the user is active, and the
signature counter moved forward (a counter that did not is a copied
authenticator: refused, audited and mailed). The passkey and its user are
read at that moment, so one removed, or a user disabled, is refused at once.
"""

from __future__ import annotations

import dataclasses
from typing import NoReturn

from sqlmodel import Session
from webauthn import generate_authentication_options, verify_authentication_response
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
)
from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

from admin_app.errors import PasskeyRefused
from admin_app.mail import notices
from admin_app.models import Passkey, User
from admin_app.services import on_record
from admin_app.services.audit import trail
from admin_app.services.passkeys import ceremony, challenges, credentials, relying_party
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings


@dataclasses.dataclass(frozen=True, kw_only=True)
class Proved:
    """A verified assertion: whose passkey, and whether the user was verified
    (a PIN or a fingerprint on the authenticator: then it is two factors)."""

    user: User
    passkey: Passkey
    user_verified: bool


def options(
    session: Session,
    *,
    settings: Settings,
    purpose: str,
    user: User | None = None,
    bound_to: str = "",
) -> ceremony.Options:
    """Options to prove a passkey: any of this site's (`user` None: the browser
    offers the discoverable ones), or one of `user`'s."""
    allowed: list[PublicKeyCredentialDescriptor] = []
    if user is not None:
        assert user.id is not None
        allowed = ceremony.descriptors(credentials.rows_of(session, user_id=user.id))
        if not allowed:
            raise PasskeyRefused("This account has no passkey.")
    row = challenges.issue(
        session, purpose=purpose, user_id=user.id if user else None, bound_to=bound_to
    )
    options = generate_authentication_options(
        rp_id=relying_party.of(settings).id,
        challenge=base64url_to_bytes(row.challenge),
        timeout=ceremony.TIMEOUT_MS,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return ceremony.options_of(row, options)


def prove(
    session: Session,
    *,
    settings: Settings,
    purpose: str,
    credential: str,
    ctx: RequestContext,
    attempt_id: str | None = None,
    bound_to: str | None = None,
    user_id: int | None = None,
) -> Proved:
    """Verify an assertion for this attempt's challenge; whose passkey it is.

    `user_id` (a factor step, a re-authentication) is whose it must be. The
    passkey and its user are read now: one removed, or a user disabled, since
    the options were made is refused.
    """
    row = challenges.take(
        session,
        purpose=purpose,
        challenge=ceremony.challenge_of(credential),
        attempt_id=attempt_id,
        bound_to=bound_to,
    )
    session.commit()
    try:
        parsed = parse_authentication_credential_json(credential)
    except ceremony.MALFORMED:
        ceremony.refused(session, ctx=ctx, user_id=user_id, ceremony=purpose, reason="malformed")
    passkey = credentials.find(session, credential_id=bytes_to_base64url(parsed.raw_id))
    if passkey is None:
        ceremony.refused(
            session, ctx=ctx, user_id=user_id, ceremony=purpose, reason="unknown_passkey"
        )
    owner = session.get(User, passkey.user_id)
    expected = user_id if user_id is not None else row.user_id
    if owner is None or (expected is not None and owner.id != expected):
        ceremony.refused(session, ctx=ctx, user_id=user_id, ceremony=purpose, reason="other_user")
    assert owner.id is not None
    handle = parsed.response.user_handle
    if handle is not None and handle != relying_party.user_handle(settings, owner.id):
        ceremony.refused(session, ctx=ctx, user_id=owner.id, ceremony=purpose, reason="user_handle")
    if not owner.is_active:
        ceremony.refused(session, ctx=ctx, user_id=owner.id, ceremony=purpose, reason="disabled")
    rp = relying_party.of(settings)
    try:
        checked = verify_authentication_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(row.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            # The counter is compared below, where a copy can be told and mailed.
            credential_current_sign_count=0,
        )
    except ceremony.MALFORMED as exc:
        ceremony.refused(
            session, ctx=ctx, user_id=owner.id, ceremony=purpose, reason=ceremony.why(exc)
        )
    new, seen = checked.new_sign_count, passkey.sign_count
    counted = (new > 0 or seen > 0) and new <= seen
    if counted or not credentials.claim_counter(
        session, row=passkey, new_count=new, backed_up=checked.credential_backed_up
    ):
        _cloned(session, settings=settings, ctx=ctx, user=owner, passkey=passkey, new=new)
    trail.record(
        session,
        kind="passkey.used",
        ctx=ctx,
        user_id=owner.id,
        ceremony=purpose,
        name=passkey.name,
        user_verified=checked.user_verified,
    )
    return Proved(user=owner, passkey=passkey, user_verified=checked.user_verified)


def _cloned(
    session: Session,
    *,
    settings: Settings,
    ctx: RequestContext,
    user: User,
    passkey: Passkey,
    new: int,
) -> NoReturn:
    """A counter that did not move forward: the answer is refused, audited and mailed."""
    seen, name = passkey.sign_count, passkey.name

    def write(own: Session) -> None:
        trail.record(
            own,
            kind="passkey.clone_warning",
            ctx=ctx,
            user_id=user.id,
            name=name,
            counter=new,
            stored=seen,
        )
        notices.tell(
            own,
            settings=settings,
            to=user.email,
            event=notices.Event.PASSKEY_CLONED,
            ctx=ctx,
            user_id=user.id,
            factor=f"passkey “{name}”",
        )

    on_record.keep(session, write)
    raise PasskeyRefused()
