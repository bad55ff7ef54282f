"""The two WebAuthn ceremonies (py_webauthn does the checking): registration
makes a passkey, authentication (an *assertion*) proves one.

Options go to the browser (or an API client) as JSON with a challenge kept
server-side (`challenges.py`); the answer comes back as the JSON of the
browser's `PublicKeyCredential`. Every check is made here: the challenge is
this attempt's and unused, the origin and relying party are APP_URL's, the
signature is the registered key's, the user handle is the account's, and
the signature counter moved forward (a counter that did not is a copied
authenticator: refused, audited and mailed).
"""

from __future__ import annotations

import dataclasses
import json
from typing import NoReturn

from sqlmodel import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    COSEAlgorithmIdentifier,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from admin_app.errors import PasskeyRefused
from admin_app.mail import notices
from admin_app.models import Passkey, PasskeyChallenge, User
from admin_app.services import on_record
from admin_app.services.audit import trail
from admin_app.services.passkeys import challenges, credentials, relying_party
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
TIMEOUT_MS = int(challenges.LIFETIME.total_seconds() * 1000)
# An answer is a few kilobytes at most; anything longer is refused unread.
MAX_ANSWER = 64 * 1024


@dataclasses.dataclass(frozen=True, kw_only=True)
class Options:
    """What the browser's `navigator.credentials.create`/`get` takes, and the attempt."""

    attempt_id: str
    options_json: str
    expires_in: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class Proved:
    """A verified assertion: whose passkey, and whether the user was verified
    (a PIN or a fingerprint on the authenticator: then it is two factors)."""

    user: User
    passkey: Passkey
    user_verified: bool


def _options(row: PasskeyChallenge, options: object) -> Options:
    return Options(
        attempt_id=row.id,
        options_json=options_to_json(options),  # type: ignore[arg-type]
        expires_in=int(challenges.LIFETIME.total_seconds()),
    )


def _descriptors(rows: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
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


def registration_options(
    session: Session, *, settings: Settings, user: User, name: str, bound_to: str
) -> Options:
    """Options to make a passkey for `user`, named `name`; the user's others are excluded."""
    assert user.id is not None
    credentials.check_room(session, user_id=user.id)
    name = credentials.clean_name(name)
    row = challenges.issue(
        session, purpose="register", user_id=user.id, bound_to=bound_to, payload={"name": name}
    )
    rp = relying_party.of(settings)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=relying_party.user_handle(settings, user.id),
        user_display_name=user.full_name or user.username,
        challenge=base64url_to_bytes(row.challenge),
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(credentials.rows_of(session, user_id=user.id)),
        supported_pub_key_algs=ALGORITHMS,
    )
    return _options(row, options)


def _challenge_of(credential: str) -> str:
    """The challenge the answer signed (its clientDataJSON's), or refused."""
    if len(credential) > MAX_ANSWER:
        raise PasskeyRefused()
    try:
        raw = json.loads(credential)
        client_data = base64url_to_bytes(raw["response"]["clientDataJSON"])
        return bytes_to_base64url(parse_client_data_json(client_data).challenge)
    except (ValueError, KeyError, TypeError, WebAuthnException):
        raise PasskeyRefused() from None


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
        session, purpose="register", challenge=_challenge_of(credential), bound_to=bound_to
    )
    # The challenge is spent even if what follows fails.
    session.commit()
    if row.user_id != user.id:
        _refused(session, ctx=ctx, user_id=user.id, ceremony="register", reason="other_user")
    rp = relying_party.of(settings)
    try:
        parsed = parse_registration_credential_json(credential)
        made = verify_registration_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(row.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            supported_pub_key_algs=ALGORITHMS,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        _refused(session, ctx=ctx, user_id=user.id, ceremony="register", reason=_why(exc))
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


def assertion_options(
    session: Session,
    *,
    settings: Settings,
    purpose: str,
    user: User | None = None,
    bound_to: str = "",
) -> Options:
    """Options to prove a passkey: any of this site's (`user` None: the browser
    offers the discoverable ones), or one of `user`'s."""
    allowed: list[PublicKeyCredentialDescriptor] = []
    if user is not None:
        assert user.id is not None
        allowed = _descriptors(credentials.rows_of(session, user_id=user.id))
        if not allowed:
            raise PasskeyRefused("This account has no passkey.")
    row = challenges.issue(
        session, purpose=purpose, user_id=user.id if user else None, bound_to=bound_to
    )
    options = generate_authentication_options(
        rp_id=relying_party.of(settings).id,
        challenge=base64url_to_bytes(row.challenge),
        timeout=TIMEOUT_MS,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return _options(row, options)


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
        challenge=_challenge_of(credential),
        attempt_id=attempt_id,
        bound_to=bound_to,
    )
    session.commit()
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        _refused(session, ctx=ctx, user_id=user_id, ceremony=purpose, reason="malformed")
    passkey = credentials.find(session, credential_id=bytes_to_base64url(parsed.raw_id))
    if passkey is None:
        _refused(session, ctx=ctx, user_id=user_id, ceremony=purpose, reason="unknown_passkey")
    owner = session.get(User, passkey.user_id)
    expected = user_id if user_id is not None else row.user_id
    if owner is None or (expected is not None and owner.id != expected):
        _refused(session, ctx=ctx, user_id=user_id, ceremony=purpose, reason="other_user")
    assert owner.id is not None
    handle = parsed.response.user_handle
    if handle is not None and handle != relying_party.user_handle(settings, owner.id):
        _refused(session, ctx=ctx, user_id=owner.id, ceremony=purpose, reason="user_handle")
    if not owner.is_active:
        _refused(session, ctx=ctx, user_id=owner.id, ceremony=purpose, reason="disabled")
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
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        _refused(session, ctx=ctx, user_id=owner.id, ceremony=purpose, reason=_why(exc))
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


def _why(exc: Exception) -> str:
    """The audited reason of a refusal, in a few words (py_webauthn's message)."""
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def _refused(
    session: Session, *, ctx: RequestContext, user_id: int | None, ceremony: str, reason: str
) -> NoReturn:
    on_record.audit(
        session, kind="passkey.refused", ctx=ctx, user_id=user_id, ceremony=ceremony, reason=reason
    )
    raise PasskeyRefused()


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
