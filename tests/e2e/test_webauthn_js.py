"""The passkey JavaScript (admin_app/ui/webauthn_js.py) against py_webauthn, in real Chromium.

No app server: a blank page on http://localhost:<port> (a secure context) runs
the expressions `rx.call_script` would, Chromium's virtual authenticator
answers them, and py_webauthn verifies what comes back.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webauthn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Page
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRequestOptions,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from admin_app.ui.webauthn_js import conditional_available_call, create_call, get_call
from tests.e2e.conftest import CHROMIUM, _free_port
from tests.e2e.virtual_authenticator import VirtualAuthenticator

pytestmark = pytest.mark.e2e

RP_ID = "localhost"
# A display name that would break out of a naively pasted script.
HOSTILE_NAME = "Ada \"');</script> window.__injected = 1; //"

PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>passkeys</title></head>
<body><label>Username <input id="username" autocomplete="username webauthn"></label></body>
</html>"""


class _PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs it)")
    port = _free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def blank(page: Page, origin: str) -> Page:
    page.goto(origin)
    return page


@pytest.fixture
def authenticator(blank: Page) -> Iterator[VirtualAuthenticator]:
    attached = VirtualAuthenticator.attach(blank)
    yield attached
    with contextlib.suppress(Exception):
        attached.detach()


def run(page: Page, expression: str) -> Any:
    return page.evaluate(f"() => {expression}")


def registration_options(user_id: bytes = b"user-1", exclude: list[bytes] | None = None) -> str:
    """The product's creation options: discoverable, UV preferred, ES256 or RS256."""
    options = webauthn.generate_registration_options(
        rp_id=RP_ID,
        rp_name="Admin",
        user_id=user_id,
        user_name="ada",
        user_display_name=HOSTILE_NAME,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        supported_pub_key_algs=[
            COSEAlgorithmIdentifier.ECDSA_SHA_256,
            COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
        ],
        exclude_credentials=[PublicKeyCredentialDescriptor(id=each) for each in exclude or []],
    )
    return webauthn.options_to_json(options)


def register(page: Page, origin: str, user_id: bytes = b"user-1") -> VerifiedRegistration:
    """A passkey registered and verified, as the product's registration does it."""
    options = registration_options(user_id)
    result = run(page, create_call(options))
    assert result["ok"] is True, result
    return webauthn.verify_registration_response(
        credential=result["credential"],
        expected_challenge=webauthn.base64url_to_bytes(json.loads(options)["challenge"]),
        expected_origin=origin,
        expected_rp_id=RP_ID,
    )


def sign_in_options(
    allow: list[bytes] | None = None, timeout: int = 60_000
) -> PublicKeyCredentialRequestOptions:
    return webauthn.generate_authentication_options(
        rp_id=RP_ID,
        allow_credentials=[PublicKeyCredentialDescriptor(id=each) for each in allow or []],
        user_verification=UserVerificationRequirement.PREFERRED,
        timeout=timeout,
    )


def verify_sign_in(
    result: dict[str, Any],
    options: PublicKeyCredentialRequestOptions,
    origin: str,
    public_key: bytes,
    sign_count: int = 0,
) -> VerifiedAuthentication:
    assert result["ok"] is True, result
    return webauthn.verify_authentication_response(
        credential=result["credential"],
        expected_challenge=options.challenge,
        expected_origin=origin,
        expected_rp_id=RP_ID,
        credential_public_key=public_key,
        credential_current_sign_count=sign_count,
    )


def test_register_then_discoverable_sign_in(
    blank: Page, origin: str, authenticator: VirtualAuthenticator
) -> None:
    registered = register(blank, origin, user_id=b"user-42")
    assert registered.user_verified is True
    assert blank.evaluate("() => window.__injected") is None
    [held] = authenticator.credentials()
    assert held.is_resident and held.user_handle == b"user-42"

    options = sign_in_options()
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=False))
    credential = json.loads(result["credential"])
    assert credential["authenticatorAttachment"] == "platform"
    assert credential["clientExtensionResults"] == {}
    assert webauthn.base64url_to_bytes(credential["response"]["userHandle"]) == b"user-42"
    assert webauthn.base64url_to_bytes(credential["rawId"]) == registered.credential_id
    verified = verify_sign_in(result, options, origin, registered.credential_public_key)
    assert verified.user_verified is True


def test_registration_reports_transports(blank: Page, authenticator: VirtualAuthenticator) -> None:
    result = run(blank, create_call(registration_options()))
    credential = json.loads(result["credential"])
    assert credential["response"]["transports"] == ["internal"]
    assert credential["authenticatorAttachment"] == "platform"


def test_an_excluded_authenticator_resolves_invalid_state(
    blank: Page, origin: str, authenticator: VirtualAuthenticator
) -> None:
    registered = register(blank, origin)
    result = run(blank, create_call(registration_options(exclude=[registered.credential_id])))
    assert result["ok"] is False and result["error"] == "InvalidStateError", result
    assert len(authenticator.credentials()) == 1


def test_sign_in_with_allow_credentials(
    blank: Page, origin: str, authenticator: VirtualAuthenticator
) -> None:
    registered = register(blank, origin)
    options = sign_in_options(allow=[registered.credential_id])
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=False))
    verify_sign_in(result, options, origin, registered.credential_public_key)


def test_an_authenticator_without_uv_signs_in_only_by_allow_list(blank: Page, origin: str) -> None:
    """UV=0 from a UV-incapable authenticator, which Chromium asks only by credential id.

    A request with an empty allowCredentials fails at once on it (also for a
    planted credential, and over usb), so usernameless sign-in needs UV here.
    """
    authenticator = VirtualAuthenticator.attach(blank, user_verification=False)
    registered = register(blank, origin)
    assert registered.user_verified is False

    options = sign_in_options(allow=[registered.credential_id])
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=False))
    verified = verify_sign_in(result, options, origin, registered.credential_public_key)
    assert verified.user_verified is False

    options = sign_in_options(timeout=2_000)
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=False))
    assert result["ok"] is False and result["error"] == "NotAllowedError", result
    authenticator.detach()


def test_failed_user_verification_resolves_not_allowed(
    blank: Page, origin: str, authenticator: VirtualAuthenticator
) -> None:
    """Chromium fails the ceremony rather than reporting UV=0, although UV is only preferred."""
    register(blank, origin)
    authenticator.set_user_verified(False)
    options = sign_in_options()
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=False))
    assert result["ok"] is False and result["error"] == "NotAllowedError", result


def test_unknown_credential_resolves_not_allowed(
    blank: Page, origin: str, authenticator: VirtualAuthenticator
) -> None:
    register(blank, origin)
    options = sign_in_options(allow=[b"no-such-credential"], timeout=2_000)
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=False))
    assert result["ok"] is False
    assert result["error"] == "NotAllowedError"
    assert isinstance(result["message"], str)


def test_planted_credential_signs_in(
    blank: Page, origin: str, authenticator: VirtualAuthenticator
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    authenticator.add_credential(
        credential_id=b"planted-1",
        rp_id=RP_ID,
        private_key=key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        user_handle=b"user-7",
    )
    options = sign_in_options()
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=False))
    assert result["ok"] is True, result
    credential = json.loads(result["credential"])
    assert webauthn.base64url_to_bytes(credential["response"]["userHandle"]) == b"user-7"
    [held] = authenticator.credentials()
    assert held.credential_id == b"planted-1" and held.sign_count == 1

    authenticator.remove_credential(b"planted-1")
    assert authenticator.credentials() == []


def start_conditional(page: Page, authenticator: VirtualAuthenticator) -> None:
    """A conditional sign-in left pending in window.__conditional, as a login page leaves it.

    Under simulated presence Chromium would answer it at once, so presence is
    off while it starts; it stays pending once presence is back on.
    """
    authenticator.set_presence_simulation(False)
    expression = get_call(webauthn.options_to_json(sign_in_options()), conditional=True)
    page.evaluate(f"() => {{ window.__conditional = {expression}; }}")
    page.wait_for_function("() => !!window.__adminPasskeyAbort")
    authenticator.set_presence_simulation(True)
    still = "new Promise((resolve) => setTimeout(() => resolve('pending'), 300))"
    assert page.evaluate(f"() => Promise.race([window.__conditional, {still}])") == "pending"


def test_conditional_sign_in_is_answered_at_once_under_simulated_presence(
    blank: Page, origin: str, authenticator: VirtualAuthenticator
) -> None:
    options = sign_in_options()
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=True))
    assert result["ok"] is False and result["error"] == "NotAllowedError", result

    registered = register(blank, origin)
    options = sign_in_options()
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=True))
    verify_sign_in(result, options, origin, registered.credential_public_key)
    assert blank.evaluate("() => window.__adminPasskeyAbort") is None


def test_conditional_availability_is_a_bool(blank: Page) -> None:
    assert isinstance(run(blank, conditional_available_call()), bool)


def test_modal_sign_in_aborts_a_pending_conditional_one(
    blank: Page, origin: str, authenticator: VirtualAuthenticator
) -> None:
    registered = register(blank, origin)
    start_conditional(blank, authenticator)

    options = sign_in_options()
    result = run(blank, get_call(webauthn.options_to_json(options), conditional=False))
    verify_sign_in(result, options, origin, registered.credential_public_key)
    first = blank.evaluate("() => window.__conditional")
    assert first["ok"] is False and first["error"] == "AbortError", first
    assert blank.evaluate("() => window.__adminPasskeyAbort") is None


def test_registration_aborts_a_pending_conditional_sign_in(
    blank: Page, origin: str, authenticator: VirtualAuthenticator
) -> None:
    start_conditional(blank, authenticator)
    register(blank, origin)
    assert blank.evaluate("() => window.__conditional")["error"] == "AbortError"
