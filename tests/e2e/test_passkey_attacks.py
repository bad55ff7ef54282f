"""Passkey answers an attacker would try, made by Chromium's virtual
authenticator and sent to the real server's API: one signed on another
origin (a phishing page relaying our challenge), and one sent twice.

The passkey is seeded the short way (`seed_passkeys`): the row on the
server, the private key planted in the authenticator. The pages here are not
/login (whose autofill request would take the passkey at once): the
ceremony is the app's own script (`webauthn_js`), run in the page.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from admin_app.ui import webauthn_js
from tests.e2e.conftest import AppServer, unique
from tests.e2e.seed_passkeys import add_passkey
from tests.e2e.virtual_authenticator import VirtualAuthenticator


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer]) -> AppServer:
    return start_server(AUTH_MODE="password")


@pytest.fixture
def authenticator(page: Page) -> Iterator[VirtualAuthenticator]:
    attached = VirtualAuthenticator.attach(page)
    yield attached
    attached.detach()


def _passkey_user(server: AppServer, authenticator: VirtualAuthenticator, *rp_ids: str) -> None:
    """A user with a passkey, held by the authenticator for `rp_ids` (localhost by default)."""
    username = unique("pk")
    server.create_user(username, f"{username}@example.com", full_name="Ada Lovelace")
    passkey = add_passkey(server, username)
    for rp_id in rp_ids or ("localhost",):
        passkey.plant(authenticator, rp_id=rp_id)


def _options(server: AppServer) -> dict[str, Any]:
    answer = httpx.post(f"{server.url}/auth/passkeys/signin/options", timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _answer(page: Page, options: dict[str, Any], *, rp_id: str | None = None) -> dict[str, Any]:
    """What the browser's authenticator answers for `options` (for `rp_id`, if
    given), from this page's origin."""
    wanted = {**options["options"], **({"rpId": rp_id} if rp_id else {})}
    result = page.evaluate(f"() => {webauthn_js.get_call(json.dumps(wanted), conditional=False)}")
    assert result["ok"] is True, result
    return dict(json.loads(result["credential"]))


def _sign_in(server: AppServer, attempt_id: str, credential: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/auth/passkeys/signin",
        json={"attempt_id": attempt_id, "credential": credential},
        timeout=10,
    )


def _refusals(server: AppServer) -> list[str]:
    rows = server.query(
        "SELECT detail FROM audit_events WHERE kind = ? ORDER BY id", "passkey.refused"
    )
    return [str(row[0]) for row in rows]


def test_an_answer_signed_on_another_origin_is_refused(
    server: AppServer, page: Page, authenticator: VirtualAuthenticator
) -> None:
    """A phishing page at phish.localhost relays our challenge. Chromium will not
    let it claim our RP id ("localhost"), so only an authenticator that holds
    the same key for the phishing site signs there (as a copied key would):
    the origin and RP id it signs are the phishing page's, and the server
    refuses the answer, whose key and credential id are the user's own."""
    _passkey_user(server, authenticator, "phish.localhost")
    phishing = server.url.replace("://localhost", "://phish.localhost")
    page.goto(f"{phishing}/healthz")
    options = _options(server)
    claimed = page.evaluate(
        f"() => {webauthn_js.get_call(json.dumps(options['options']), conditional=False)}"
    )
    assert claimed["ok"] is False and claimed["error"] == "SecurityError", claimed

    credential = _answer(page, options, rp_id="phish.localhost")
    client_data = json.loads(
        base64.urlsafe_b64decode(credential["response"]["clientDataJSON"] + "==")
    )
    assert client_data["origin"] == phishing
    assert client_data["challenge"] == options["options"]["challenge"]
    refused = _sign_in(server, options["attempt_id"], credential)
    assert refused.status_code == 400 and refused.json()["code"] == "passkey_refused"
    assert "access_token" not in refused.text
    assert "origin" in _refusals(server)[-1]


def test_a_replayed_answer_is_refused(
    server: AppServer, page: Page, authenticator: VirtualAuthenticator
) -> None:
    _passkey_user(server, authenticator)
    page.goto(f"{server.url}/healthz")
    options = _options(server)
    credential = _answer(page, options)

    first = _sign_in(server, options["attempt_id"], credential)
    assert first.status_code == 200 and "access_token" in first.json(), first.text
    again = _sign_in(server, options["attempt_id"], credential)
    assert again.status_code == 400 and again.json()["code"] == "passkey_request_expired"
    # Nor does it meet another attempt: the answer signed the first one's challenge.
    other = _options(server)
    elsewhere = _sign_in(server, other["attempt_id"], credential)
    assert elsewhere.status_code == 400 and elsewhere.json()["code"] == "passkey_request_expired"
