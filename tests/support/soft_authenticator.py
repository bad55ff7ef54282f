"""A software WebAuthn authenticator (and the browser in front of it) for service and API tests.

It plays what `navigator.credentials.create()` / `.get()` do for a platform
passkey: it takes the options JSON the server sends (from
`webauthn.options_to_json`), makes or picks an EC P-256 credential, and returns
the `PublicKeyCredential.toJSON()`-shaped string the page would post back,
which py_webauthn's verify_registration_response and
verify_authentication_response parse. Attestation is "none", the AAGUID is all
zeros, the key is COSE ES256, and every credential is discoverable (resident).

It can also play an attacker: each ceremony takes overrides for the origin
written into clientDataJSON, the RP id whose hash goes into authenticatorData,
the user handle sent back and the signature counter, and `clone()` copies the
keys and counters as a cloned authenticator would.

    authenticator = SoftAuthenticator(origin="http://localhost:3000")
    credential_json = authenticator.register(registration_options_json)
    assertion_json = authenticator.authenticate(authentication_options_json)
    phished = authenticator.authenticate(options_json, origin="https://evil.example")
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import struct
from typing import Any
from urllib.parse import urlsplit

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified
FLAG_AT = 0x40  # attested credential data included

ES256 = -7
AAGUID_NONE = bytes(16)


class SoftAuthenticatorError(Exception):
    """A refusal the browser would raise: NotAllowedError, InvalidStateError, NotSupportedError."""


@dataclasses.dataclass
class SoftCredential:
    """One passkey held by the authenticator: its key, id, owner and signature counter."""

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    rp_id: str
    sign_count: int = 0
    user_name: str = ""

    @property
    def id_b64(self) -> str:
        """The credential id as base64url, as it travels in `id` and `rawId`."""
        return bytes_to_base64url(self.credential_id)

    @property
    def cose_public_key(self) -> bytes:
        """The public key as a CBOR COSE_Key (kty EC2, alg ES256, crv P-256)."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: ES256,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


def _as_dict(options_json: str | dict[str, Any]) -> dict[str, Any]:
    return json.loads(options_json) if isinstance(options_json, str) else options_json


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    # Compact, key order as browsers write it; py_webauthn parses whatever JSON it gets.
    body = {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
    return json.dumps(body, separators=(",", ":")).encode()


def _flags(*, user_present: bool, user_verified: bool, attested: bool) -> int:
    return (
        (FLAG_UP if user_present else 0)
        | (FLAG_UV if user_verified else 0)
        | (FLAG_AT if attested else 0)
    )


class SoftAuthenticator:
    """A platform authenticator in memory, bound to the origin of the page that calls it."""

    def __init__(self, origin: str = "http://localhost:3000", rp_id: str | None = None) -> None:
        self.origin = origin
        self.rp_id = rp_id or urlsplit(origin).hostname or ""
        self._credentials: list[SoftCredential] = []

    @property
    def credentials(self) -> tuple[SoftCredential, ...]:
        """The credentials held, oldest first (the objects themselves: tests may edit them)."""
        return tuple(self._credentials)

    def clone(self) -> SoftAuthenticator:
        """A copy holding the same keys and counters, whose counters then move on their own."""
        twin = SoftAuthenticator(self.origin, self.rp_id)
        twin._credentials = [dataclasses.replace(c) for c in self._credentials]
        return twin

    def credential(self, credential_id: bytes) -> SoftCredential:
        """The held credential with this id (LookupError when there is none)."""
        for held in self._credentials:
            if held.credential_id == credential_id:
                return held
        raise LookupError(f"no credential {bytes_to_base64url(credential_id)}")

    def register(
        self,
        options_json: str | dict[str, Any],
        *,
        user_verified: bool = True,
        user_present: bool = True,
        origin: str | None = None,
        rp_id: str | None = None,
    ) -> str:
        """Answer PublicKeyCredentialCreationOptionsJSON with a new credential's JSON.

        As a browser and authenticator would, it refuses options that offer no
        ES256 or that exclude a credential it already holds. `origin` and `rp_id`
        override what goes into clientDataJSON and the rpIdHash (the new
        credential is then held for that RP id).
        """
        options = _as_dict(options_json)
        algorithms = [p.get("alg") for p in options.get("pubKeyCredParams", [])]
        if algorithms and ES256 not in algorithms:
            raise SoftAuthenticatorError(f"NotSupportedError: no ES256 in {algorithms}")
        effective_rp_id = rp_id or options.get("rp", {}).get("id") or self.rp_id
        excluded = {base64url_to_bytes(c["id"]) for c in options.get("excludeCredentials", [])}
        if any(
            c.credential_id in excluded and c.rp_id == effective_rp_id for c in self._credentials
        ):
            raise SoftAuthenticatorError("InvalidStateError: a credential is excluded")

        user = options.get("user", {})
        credential = SoftCredential(
            credential_id=os.urandom(16),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            user_handle=base64url_to_bytes(user["id"]),
            rp_id=effective_rp_id,
            user_name=user.get("name", ""),
        )
        flags = _flags(user_present=user_present, user_verified=user_verified, attested=True)
        auth_data = (
            hashlib.sha256(effective_rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", credential.sign_count)
            + AAGUID_NONE
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + credential.cose_public_key
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = _client_data("webauthn.create", options["challenge"], origin or self.origin)
        self._credentials.append(credential)
        return json.dumps(
            {
                "id": credential.id_b64,
                "rawId": credential.id_b64,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "attestationObject": bytes_to_base64url(attestation),
                    "transports": ["internal"],
                },
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )

    def _pick(
        self, options: dict[str, Any], rp_id: str, credential_id: bytes | None
    ) -> SoftCredential:
        if credential_id is not None:
            return self.credential(credential_id)
        allowed = [base64url_to_bytes(c["id"]) for c in options.get("allowCredentials") or []]
        for held in self._credentials:
            if held.rp_id == rp_id and (not allowed or held.credential_id in allowed):
                return held
        raise SoftAuthenticatorError(f"NotAllowedError: no credential for {rp_id}")

    def authenticate(
        self,
        options_json: str | dict[str, Any],
        *,
        user_verified: bool = True,
        user_present: bool = True,
        origin: str | None = None,
        rp_id: str | None = None,
        credential_id: bytes | None = None,
        sign_count: int | None = None,
        user_handle: bytes | None = None,
    ) -> str:
        """Answer PublicKeyCredentialRequestOptionsJSON with a signed assertion's JSON.

        The credential is `credential_id` if given, else the first held for the
        RP id among `allowCredentials`, else the first held for the RP id (a
        discoverable sign-in). Its counter goes up by one, or is set to
        `sign_count` (a clone's stale count). `origin`, `rp_id` and `user_handle`
        override clientDataJSON's origin, the rpIdHash (and which credentials
        are eligible) and the userHandle sent back.
        """
        options = _as_dict(options_json)
        effective_rp_id = rp_id or options.get("rpId") or self.rp_id
        credential = self._pick(options, effective_rp_id, credential_id)
        credential.sign_count = credential.sign_count + 1 if sign_count is None else sign_count

        flags = _flags(user_present=user_present, user_verified=user_verified, attested=False)
        auth_data = (
            hashlib.sha256(effective_rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", credential.sign_count)
        )
        client_data = _client_data("webauthn.get", options["challenge"], origin or self.origin)
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        handle = credential.user_handle if user_handle is None else user_handle
        return json.dumps(
            {
                "id": credential.id_b64,
                "rawId": credential.id_b64,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(auth_data),
                    "signature": bytes_to_base64url(signature),
                    "userHandle": bytes_to_base64url(handle),
                },
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )
