"""Registration: making a passkey for a signed-in user (the caller checked
the fresh proof). Resident key required (a passkey signs in without a
username), user verification preferred, attestation `none` (which brand of
authenticator does not matter here), ES256 or RS256, the user's other
passkeys excluded so one authenticator is not registered twice.
"""

from __future__ import annotations

from sqlmodel import Session
from webauthn import generate_registration_options, verify_registration_response
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from admin_app.models import Passkey, User
from admin_app.services.passkeys import ceremony, challenges, credentials, relying_party
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

PURPOSE = "register"


def options(
    session: Session, *, settings: Settings, user: User, name: str, bound_to: str
) -> ceremony.Options:
    """Options to make a passkey for `user`, named `name`; the user's others are excluded."""
    assert user.id is not None
    credentials.check_room(session, user_id=user.id)
    name = credentials.clean_name(name)
    row = challenges.issue(
        session, purpose=PURPOSE, user_id=user.id, bound_to=bound_to, payload={"name": name}
    )
    rp = relying_party.of(settings)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=relying_party.user_handle(settings, user.id),
        user_display_name=user.full_name or user.username,
        challenge=base64url_to_bytes(row.challenge),
        timeout=ceremony.TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=ceremony.descriptors(credentials.rows_of(session, user_id=user.id)),
        supported_pub_key_algs=ceremony.ALGORITHMS,
    )
    return ceremony.options_of(row, options)


def register(
    session: Session,
    *,
    settings: Settings,
    user: User,
    bound_to: str,
    credential: str,
    ctx: RequestContext,
) -> Passkey:
    """Verify the browser's new credential against this attempt's challenge and keep it."""
    assert user.id is not None
    row = challenges.take(
        session, purpose=PURPOSE, challenge=ceremony.challenge_of(credential), bound_to=bound_to
    )
    # The challenge is spent even if what follows fails.
    session.commit()
    if row.user_id != user.id:
        ceremony.refused(session, ctx=ctx, user_id=user.id, ceremony=PURPOSE, reason="other_user")
    rp = relying_party.of(settings)
    try:
        parsed = parse_registration_credential_json(credential)
        made = verify_registration_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(row.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            supported_pub_key_algs=ceremony.ALGORITHMS,
        )
    except ceremony.MALFORMED as exc:
        ceremony.refused(
            session, ctx=ctx, user_id=user.id, ceremony=PURPOSE, reason=ceremony.why(exc)
        )
    transports = [t.value for t in (parsed.response.transports or [])]
    return credentials.add(
        session,
        user_id=user.id,
        name=str(challenges.payload_of(row).get("name", "Passkey")),
        credential_id=bytes_to_base64url(made.credential_id),
        public_key=bytes_to_base64url(made.credential_public_key),
        sign_count=made.sign_count,
        transports=transports,
        aaguid=made.aaguid,
        multi_device=made.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=made.credential_backed_up,
    )
