"""Chromium's virtual authenticator, over a Playwright CDP session: passkeys without hardware.

    authenticator = VirtualAuthenticator.attach(page)
    ...  # the page registers and signs in; presence is simulated
    authenticator.credentials()  # what it holds
    authenticator.set_user_verified(False)  # the user now fails verification
    authenticator.detach()

It belongs to the page's tab: it answers that page's navigator.credentials
calls, and goes away with the page.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from playwright.sync_api import CDPSession, Page


def _b64(data: bytes) -> str:
    """CDP's `binary` fields are standard base64, with padding."""
    return base64.b64encode(data).decode()


@dataclasses.dataclass(frozen=True)
class Credential:
    """One credential the authenticator holds (WebAuthn.Credential, decoded)."""

    credential_id: bytes
    is_resident: bool
    rp_id: str | None
    private_key: bytes
    user_handle: bytes | None
    sign_count: int

    @classmethod
    def from_cdp(cls, raw: dict[str, Any]) -> Credential:
        handle = raw.get("userHandle")
        return cls(
            credential_id=base64.b64decode(raw["credentialId"]),
            is_resident=bool(raw["isResidentCredential"]),
            rp_id=raw.get("rpId"),
            private_key=base64.b64decode(raw["privateKey"]),
            user_handle=base64.b64decode(handle) if handle else None,
            sign_count=int(raw["signCount"]),
        )


@dataclasses.dataclass
class VirtualAuthenticator:
    """A CTAP2 platform authenticator (transport internal), by default with resident keys and UV.

    Chromium's behaviour worth knowing: with presence simulated, a conditional
    (autofill) request is answered at once like a modal one (no input focus or
    autofill pick needed): with the first matching passkey, or NotAllowedError
    when there is none. A UV-capable authenticator whose user is not verified
    fails the ceremony (NotAllowedError) even when UV is only preferred; a
    ceremony reports UV=0 only from an authenticator attached with
    user_verification=False, and Chromium asks that one only by credential id
    (an empty allowCredentials fails with NotAllowedError).
    """

    session: CDPSession
    authenticator_id: str

    @classmethod
    def attach(
        cls,
        page: Page,
        *,
        user_verified: bool = True,
        resident: bool = True,
        user_verification: bool = True,
    ) -> VirtualAuthenticator:
        """Add one to the page's tab; user_verification=False makes it UV-incapable."""
        session = page.context.new_cdp_session(page)
        session.send("WebAuthn.enable", {"enableUI": False})
        reply = session.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": resident,
                    "hasUserVerification": user_verification,
                    "isUserVerified": user_verified,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        return cls(session=session, authenticator_id=reply["authenticatorId"])

    def _send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.session.send(
            f"WebAuthn.{method}", {"authenticatorId": self.authenticator_id, **(params or {})}
        )

    def credentials(self) -> list[Credential]:
        return [Credential.from_cdp(raw) for raw in self._send("getCredentials")["credentials"]]

    def add_credential(
        self,
        *,
        credential_id: bytes,
        rp_id: str,
        private_key: bytes,
        user_handle: bytes | None = None,
        is_resident: bool = True,
        sign_count: int = 0,
    ) -> None:
        """Plant a credential; private_key is a PKCS#8 DER key (e.g. an ES256 one)."""
        credential: dict[str, Any] = {
            "credentialId": _b64(credential_id),
            "isResidentCredential": is_resident,
            "rpId": rp_id,
            "privateKey": _b64(private_key),
            "signCount": sign_count,
        }
        if user_handle is not None:
            credential["userHandle"] = _b64(user_handle)
        self._send("addCredential", {"credential": credential})

    def remove_credential(self, credential_id: bytes) -> None:
        self._send("removeCredential", {"credentialId": _b64(credential_id)})

    def clear(self) -> None:
        self._send("clearCredentials")

    def set_user_verified(self, verified: bool) -> None:
        self._send("setUserVerified", {"isUserVerified": verified})

    def set_presence_simulation(self, enabled: bool) -> None:
        """Off: requests wait for a touch that never comes (a conditional one stays pending)."""
        self._send("setAutomaticPresenceSimulation", {"enabled": enabled})

    def detach(self) -> None:
        self._send("removeVirtualAuthenticator")
        self.session.send("WebAuthn.disable")
        self.session.detach()
