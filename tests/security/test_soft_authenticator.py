"""The software authenticator against py_webauthn itself: real ceremonies verify, forged ones don't.

The passkey service's tests lean on tests/support/soft_authenticator.py, so
this proves it with nothing of ours in between: what it registers and signs
passes verify_registration_response and verify_authentication_response, and
each attack it can stage (another origin, another RP id, a replayed
signature, a cloned counter) is one py_webauthn refuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import webauthn
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AttestationFormat,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from tests.support.soft_authenticator import SoftAuthenticator, SoftAuthenticatorError

ORIGIN = "http://localhost:3000"
RP_ID = "localhost"


def registration_options(
    user_id: bytes = b"user-1", exclude: list[bytes] | None = None
) -> tuple[bytes, str]:
    """The product's registration options: discoverable, UV preferred, ES256 and RS256."""
    options = webauthn.generate_registration_options(
        rp_id=RP_ID,
        rp_name="Admin",
        user_name="ada@example.com",
        user_id=user_id,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=i) for i in exclude or []],
        supported_pub_key_algs=[
            webauthn.helpers.cose.COSEAlgorithmIdentifier.ECDSA_SHA_256,
            webauthn.helpers.cose.COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
        ],
    )
    return options.challenge, webauthn.options_to_json(options)


def authentication_options(allow: list[bytes] | None = None) -> tuple[bytes, str]:
    options = webauthn.generate_authentication_options(
        rp_id=RP_ID,
        allow_credentials=[PublicKeyCredentialDescriptor(id=i) for i in allow or []],
    )
    return options.challenge, webauthn.options_to_json(options)


@dataclass
class Stored:
    """What the server keeps of a registered passkey."""

    credential_id: bytes
    public_key: bytes
    sign_count: int


def register(authenticator: SoftAuthenticator, user_id: bytes = b"user-1") -> Stored:
    challenge, options_json = registration_options(user_id)
    verified = webauthn.verify_registration_response(
        credential=authenticator.register(options_json),
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        require_user_verification=True,
    )
    return Stored(verified.credential_id, verified.credential_public_key, verified.sign_count)


def verify_assertion(
    assertion_json: str, challenge: bytes, stored: Stored, *, require_uv: bool = True
) -> int:
    """Verify as the server would and keep the new count; returns it."""
    verified = webauthn.verify_authentication_response(
        credential=assertion_json,
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=stored.public_key,
        credential_current_sign_count=stored.sign_count,
        require_user_verification=require_uv,
    )
    stored.sign_count = verified.new_sign_count
    return verified.new_sign_count


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN)


def test_rp_id_defaults_to_the_origins_hostname() -> None:
    assert SoftAuthenticator().rp_id == "localhost"
    assert SoftAuthenticator("https://admin.example.com:8443").rp_id == "admin.example.com"
    assert SoftAuthenticator("https://admin.example.com", rp_id="example.com").rp_id == (
        "example.com"
    )


def test_a_registration_verifies_as_a_none_attested_es256_passkey(
    authenticator: SoftAuthenticator,
) -> None:
    challenge, options_json = registration_options(b"user-1")
    credential_json = authenticator.register(options_json)
    verified = webauthn.verify_registration_response(
        credential=credential_json,
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        require_user_verification=True,
    )
    assert verified.user_verified is True
    assert verified.fmt == AttestationFormat.NONE
    assert verified.aaguid == "00000000-0000-0000-0000-000000000000"
    assert verified.sign_count == 0
    (held,) = authenticator.credentials
    assert verified.credential_id == held.credential_id
    assert len(held.credential_id) == 16
    assert held.user_handle == b"user-1"
    assert held.rp_id == RP_ID
    assert verified.credential_public_key == held.cose_public_key
    body = json.loads(credential_json)
    assert body["type"] == "public-key"
    assert body["authenticatorAttachment"] == "platform"
    assert body["response"]["transports"] == ["internal"]
    client_data = json.loads(base64url_to_bytes(body["response"]["clientDataJSON"]))
    assert client_data == {
        "type": "webauthn.create",
        "challenge": bytes_to_base64url(challenge),
        "origin": ORIGIN,
        "crossOrigin": False,
    }


def test_a_registration_without_user_verification_says_so(
    authenticator: SoftAuthenticator,
) -> None:
    challenge, options_json = registration_options()
    credential_json = authenticator.register(options_json, user_verified=False)
    verified = webauthn.verify_registration_response(
        credential=credential_json,
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
    )
    assert verified.user_verified is False
    with pytest.raises(InvalidRegistrationResponse, match="verif"):
        webauthn.verify_registration_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
            require_user_verification=True,
        )


@pytest.mark.parametrize(
    ("origin", "rp_id", "message"),
    [("https://evil.example", None, "origin"), (None, "evil.example", "RP ID hash")],
)
def test_a_registration_for_another_origin_or_rp_id_is_refused(
    authenticator: SoftAuthenticator, origin: str | None, rp_id: str | None, message: str
) -> None:
    challenge, options_json = registration_options()
    with pytest.raises(InvalidRegistrationResponse, match=message):
        webauthn.verify_registration_response(
            credential=authenticator.register(options_json, origin=origin, rp_id=rp_id),
            expected_challenge=challenge,
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
        )


def test_an_excluded_credential_is_not_registered_twice(authenticator: SoftAuthenticator) -> None:
    stored = register(authenticator)
    _, options_json = registration_options(exclude=[stored.credential_id])
    with pytest.raises(SoftAuthenticatorError, match="InvalidStateError"):
        authenticator.register(options_json)
    assert len(authenticator.credentials) == 1


def test_an_assertion_verifies_with_the_stored_public_key(
    authenticator: SoftAuthenticator,
) -> None:
    stored = register(authenticator, b"user-1")
    challenge, options_json = authentication_options()
    assertion_json = authenticator.authenticate(options_json)
    assert verify_assertion(assertion_json, challenge, stored) == 1
    body = json.loads(assertion_json)
    assert base64url_to_bytes(body["rawId"]) == stored.credential_id
    assert base64url_to_bytes(body["response"]["userHandle"]) == b"user-1"
    client_data = json.loads(base64url_to_bytes(body["response"]["clientDataJSON"]))
    assert client_data["type"] == "webauthn.get"
    assert client_data["challenge"] == bytes_to_base64url(challenge)


def test_an_assertion_without_user_verification_fails_where_it_is_required(
    authenticator: SoftAuthenticator,
) -> None:
    stored = register(authenticator)
    challenge, options_json = authentication_options()
    assertion_json = authenticator.authenticate(options_json, user_verified=False)
    with pytest.raises(InvalidAuthenticationResponse, match="verif"):
        verify_assertion(assertion_json, challenge, stored)
    assert verify_assertion(assertion_json, challenge, stored, require_uv=False) == 1


def test_allow_credentials_picks_the_listed_passkey(authenticator: SoftAuthenticator) -> None:
    register(authenticator, b"user-1")
    second = register(authenticator, b"user-2")
    challenge, options_json = authentication_options(allow=[second.credential_id])
    assertion_json = authenticator.authenticate(options_json)
    assert verify_assertion(assertion_json, challenge, second) == 1
    assert base64url_to_bytes(json.loads(assertion_json)["rawId"]) == second.credential_id


def test_no_passkey_for_the_rp_is_not_allowed() -> None:
    authenticator = SoftAuthenticator(origin="https://other.example")
    register_elsewhere = registration_options()[1]
    authenticator.register(register_elsewhere, rp_id="other.example")
    with pytest.raises(SoftAuthenticatorError, match="NotAllowedError"):
        authenticator.authenticate(authentication_options()[1])
    with pytest.raises(SoftAuthenticatorError, match="NotAllowedError"):
        authenticator.authenticate(authentication_options(allow=[b"unknown"])[1])


def test_an_assertion_from_another_origin_is_refused(authenticator: SoftAuthenticator) -> None:
    stored = register(authenticator)
    challenge, options_json = authentication_options()
    phished = authenticator.authenticate(options_json, origin="https://evil.example")
    with pytest.raises(InvalidAuthenticationResponse, match="origin"):
        verify_assertion(phished, challenge, stored)


def test_an_assertion_for_another_rp_id_is_refused(authenticator: SoftAuthenticator) -> None:
    stored = register(authenticator)
    challenge, options_json = authentication_options()
    forged = authenticator.authenticate(
        options_json, rp_id="evil.example", credential_id=stored.credential_id
    )
    with pytest.raises(InvalidAuthenticationResponse, match="RP ID hash"):
        verify_assertion(forged, challenge, stored)


def test_a_signature_over_another_challenge_is_refused(authenticator: SoftAuthenticator) -> None:
    stored = register(authenticator)
    old_challenge, old_options = authentication_options()
    new_challenge, new_options = authentication_options()
    old = json.loads(authenticator.authenticate(old_options))
    new = json.loads(authenticator.authenticate(new_options))
    # The new challenge's clientDataJSON, carried by the old challenge's signature.
    old["response"]["clientDataJSON"] = new["response"]["clientDataJSON"]
    with pytest.raises(InvalidAuthenticationResponse, match="signature"):
        verify_assertion(json.dumps(old), new_challenge, stored)
    # And an answer to the old challenge is not one to the new.
    with pytest.raises(InvalidAuthenticationResponse, match="challenge"):
        verify_assertion(authenticator.authenticate(old_options), new_challenge, stored)
    assert old_challenge != new_challenge


def test_another_users_handle_is_sent_as_asked(authenticator: SoftAuthenticator) -> None:
    stored = register(authenticator, b"user-1")
    challenge, options_json = authentication_options()
    assertion_json = authenticator.authenticate(options_json, user_handle=b"user-2")
    # The signature does not cover userHandle: the server must match it to the credential.
    assert verify_assertion(assertion_json, challenge, stored) == 1
    parsed = webauthn.helpers.parse_authentication_credential_json(assertion_json)
    assert parsed.response.user_handle == b"user-2"


def test_the_sign_count_goes_up_by_one_each_time(authenticator: SoftAuthenticator) -> None:
    stored = register(authenticator)
    counts = []
    for _ in range(3):
        challenge, options_json = authentication_options()
        counts.append(verify_assertion(authenticator.authenticate(options_json), challenge, stored))
    assert counts == [1, 2, 3]
    assert authenticator.credentials[0].sign_count == 3


def test_a_clones_stale_or_equal_count_is_refused(authenticator: SoftAuthenticator) -> None:
    stored = register(authenticator)
    challenge, options_json = authentication_options()
    verify_assertion(authenticator.authenticate(options_json), challenge, stored)
    twin = authenticator.clone()
    assert twin.credentials[0].private_key is authenticator.credentials[0].private_key
    assert twin.credentials[0] is not authenticator.credentials[0]
    for _ in range(2):
        challenge, options_json = authentication_options()
        verify_assertion(authenticator.authenticate(options_json), challenge, stored)
    assert stored.sign_count == 3

    challenge, options_json = authentication_options()
    stale = twin.authenticate(options_json)  # the clone moves from 1 to 2
    with pytest.raises(InvalidAuthenticationResponse, match="sign count of 2"):
        verify_assertion(stale, challenge, stored)
    equal = twin.authenticate(options_json, sign_count=3)
    with pytest.raises(InvalidAuthenticationResponse, match="sign count of 3"):
        verify_assertion(equal, challenge, stored)
    assert twin.credentials[0].sign_count == 3
    assert authenticator.credentials[0].sign_count == 3
