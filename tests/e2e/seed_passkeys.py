"""Passkeys put on a user the short way, against an e2e server's database.

(The /profile page registers passkeys in a browser; these tests are about
signing in with one, so the key pair is made here: the `Passkey` row gets its
public key, and the test plants the private key in Chromium's virtual
authenticator, `plant`.) Run as `python -c` with the server's environment,
as `seed_factors.py` does.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
import sys

from tests.e2e.conftest import ROOT, AppServer
from tests.e2e.virtual_authenticator import VirtualAuthenticator

_PRELUDE = """
import base64, json, os, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url
from admin_app.db import session_scope
from admin_app.models import Passkey
from admin_app.services.accounts import users
from admin_app.services.passkeys import credentials, relying_party
from admin_app.settings import get_settings
from tests.support.soft_authenticator import SoftCredential

settings = get_settings()
"""

_ADD = """
key = ec.generate_private_key(ec.SECP256R1())
credential_id = os.urandom(16)
with session_scope() as db:
    user = users.find_by_identifier(db, sys.argv[1])
    handle = relying_party.user_handle(settings, user.id)
    cose = SoftCredential(
        credential_id=credential_id, private_key=key, user_handle=handle, rp_id=""
    ).cose_public_key
    credentials.add(
        db,
        user_id=user.id,
        name="Test passkey",
        credential_id=bytes_to_base64url(credential_id),
        public_key=bytes_to_base64url(cose),
        sign_count=0,
        transports=["internal"],
        aaguid="",
        multi_device=False,
        backed_up=False,
    )
private = key.private_bytes(
    serialization.Encoding.DER,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
)
print(json.dumps({
    "credential_id": base64.b64encode(credential_id).decode(),
    "private_key": base64.b64encode(private).decode(),
    "user_handle": base64.b64encode(handle).decode(),
}))
"""

_REMOVE = """
with session_scope() as db:
    row = credentials.find(db, credential_id=sys.argv[1])
    db.delete(row)
print("{}")
"""


@dataclasses.dataclass(frozen=True)
class SeededPasskey:
    """The private half of a passkey whose public half is the user's `Passkey` row."""

    credential_id: bytes
    private_key: bytes
    user_handle: bytes

    def plant(self, authenticator: VirtualAuthenticator, rp_id: str = "localhost") -> None:
        """Into Chromium's virtual authenticator, as a discoverable credential for `rp_id`."""
        authenticator.add_credential(
            credential_id=self.credential_id,
            rp_id=rp_id,
            private_key=self.private_key,
            user_handle=self.user_handle,
        )


def _run(server: AppServer, script: str, *args: str, stdin: str = "") -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", _PRELUDE + script, *args],
        cwd=ROOT,
        env=server.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def add_passkey(server: AppServer, identifier: str) -> SeededPasskey:
    """A registered ES256 passkey for the user (its row made directly, not by a ceremony)."""
    found = _run(server, _ADD, identifier)
    return SeededPasskey(
        credential_id=base64.b64decode(found["credential_id"]),
        private_key=base64.b64decode(found["private_key"]),
        user_handle=base64.b64decode(found["user_handle"]),
    )


def remove_passkey(server: AppServer, passkey: SeededPasskey) -> None:
    """Delete the passkey's row, as if removed elsewhere: the authenticator still holds it."""
    credential_id = base64.urlsafe_b64encode(passkey.credential_id).decode().rstrip("=")
    _run(server, _REMOVE, credential_id)
