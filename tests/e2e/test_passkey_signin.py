"""Signing in with a passkey in Chromium, its virtual authenticator holding the key:
the /login button and autofill (every mode), and /verify's passkey step.

The passkeys are seeded the short way (`seed_passkeys`): the row on the server,
the private key planted in the authenticator. Chromium answers a request at
once (presence is simulated): a conditional (autofill) one too, with the first
passkey for the site. With no authenticator attached, /login's autofill request
stays pending, as in every other browser test; attached after the page has
loaded, the authenticator answers the next request, the button's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import AppServer, MailServer, path_is, sign_in, unique
from tests.e2e.seed_passkeys import (
    SeededPasskey,
    add_passkey,
    remove_passkey,
)
from tests.e2e.test_accessibility import axe_path, report, scan_all
from tests.e2e.virtual_authenticator import VirtualAuthenticator

BUTTON = "Sign in with a passkey"
CANCELLED = "The passkey sign-in was cancelled or timed out."
REFUSED = "That passkey could not be used."

Mode = Callable[[str], AppServer]


@pytest.fixture(scope="module")
def app(start_server: Callable[..., AppServer], mail_server: MailServer) -> Mode:
    """The module's server in AUTH_MODE `mode`; started again only when the mode changes."""
    current: dict[str, AppServer] = {}

    def in_mode(mode: str) -> AppServer:
        if mode not in current:
            current.clear()
            current[mode] = start_server(AUTH_MODE=mode, **mail_server.env)
        return current[mode]

    return in_mode


@pytest.fixture
def server(app: Mode) -> AppServer:
    return app("password")


def new_user(server: AppServer, full_name: str = "Grace Hopper") -> tuple[str, str]:
    username = unique("pk")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name=full_name)
    return username, email


@pytest.fixture
def authenticator(page: Page) -> Iterator[Callable[[], VirtualAuthenticator]]:
    """Attach Chromium's virtual authenticator to the page's tab, when the test says."""
    attached: list[VirtualAuthenticator] = []

    def attach() -> VirtualAuthenticator:
        attached.append(VirtualAuthenticator.attach(page))
        return attached[-1]

    yield attach
    for each in attached:
        with contextlib.suppress(Exception):
            each.detach()


@pytest.fixture
def axe_script() -> Path:
    path = axe_path()
    if path is None or not path.is_file():
        pytest.skip("axe-core is not installed: run `make axe-core` (make test does)")
    return path


def open_login(page: Page, url: str) -> None:
    """/login loaded, its autofill (conditional) request pending in the tab."""
    page.goto(f"{url}/login")
    expect(page.get_by_role("button", name=BUTTON)).to_be_visible()
    page.wait_for_function("() => !!window.__adminPasskeyAbort")


def session_cookie(context: BrowserContext) -> dict[str, object] | None:
    found = [c for c in context.cookies() if c["name"] == "token"]
    return dict(found[0]) if found else None


def audited(server: AppServer, kind: str) -> list[str]:
    return [
        str(row[0])
        for row in server.query("SELECT detail FROM audit_events WHERE kind = ? ORDER BY id", kind)
    ]


def signed_in_as(page: Page, full_name: str) -> None:
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text(full_name)


def test_the_button_signs_in_with_a_passkey(
    server: AppServer,
    context: BrowserContext,
    page: Page,
    authenticator: Callable[[], VirtualAuthenticator],
) -> None:
    user = new_user(server, "Grace Hopper")
    passkey = add_passkey(server, user[0])
    open_login(page, server.url)
    # The identifier field offers passkeys in its autofill.
    expect(page.get_by_label("Email or username")).to_have_attribute(
        "autocomplete", "username webauthn"
    )
    passkey.plant(authenticator())
    # Attached after the autofill request began: that one still waits.
    page.wait_for_timeout(300)
    expect(page).to_have_url(path_is("/login"))

    page.get_by_role("button", name=BUTTON).click()
    signed_in_as(page, "Grace Hopper")
    cookie = session_cookie(context)
    assert cookie is not None and cookie["httpOnly"] is True
    assert page.evaluate("document.cookie") == ""
    assert len(audited(server, "passkey.used")) >= 1


def test_autofill_signs_in_when_the_browser_offers_a_passkey(
    server: AppServer,
    context: BrowserContext,
    page: Page,
    authenticator: Callable[[], VirtualAuthenticator],
) -> None:
    user = new_user(server, "Katherine Johnson")
    passkey = add_passkey(server, user[0])
    passkey.plant(authenticator())

    # Chromium answers the conditional request at once, as a pick from the autofill.
    page.goto(f"{server.url}/login")
    signed_in_as(page, "Katherine Johnson")
    assert session_cookie(context) is not None


def test_a_passkey_is_the_second_step_after_a_password(
    server: AppServer,
    context: BrowserContext,
    page: Page,
    authenticator: Callable[[], VirtualAuthenticator],
) -> None:
    user = new_user(server, "Margaret Hamilton")
    passkey = add_passkey(server, user[0])
    open_login(page, server.url)
    sign_in(page, user[0])
    expect(page).to_have_url(path_is("/verify"))

    expect(page.get_by_role("heading", name="Use your passkey")).to_be_visible()
    expect(page.get_by_text("confirm it is you with a passkey")).to_be_visible()
    use = page.get_by_role("button", name="Use passkey", exact=True)
    expect(use).to_be_focused()
    expect(page.get_by_role("button", name="Use a recovery code")).to_be_visible()
    expect(page.get_by_label("Authenticator code")).to_have_count(0)
    assert session_cookie(context) is None

    passkey.plant(authenticator())
    use.click()
    signed_in_as(page, "Margaret Hamilton")
    assert session_cookie(context) is not None


def test_cancelled_on_verify_the_other_ways_stay(
    server: AppServer,
    page: Page,
    authenticator: Callable[[], VirtualAuthenticator],
) -> None:
    user = new_user(server)
    add_passkey(server, user[0])
    open_login(page, server.url)
    sign_in(page, user[0])
    expect(page.get_by_role("heading", name="Use your passkey")).to_be_visible()
    # An authenticator without this passkey: the browser reports NotAllowedError.
    authenticator()
    page.get_by_role("button", name="Use passkey", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(CANCELLED)
    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_role("button", name="Use passkey", exact=True)).to_be_focused()
    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.get_by_label("Recovery code")).to_be_focused()
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("heading", name="Use your passkey")).to_be_visible()


def test_a_removed_passkey_is_refused(
    server: AppServer,
    context: BrowserContext,
    page: Page,
    authenticator: Callable[[], VirtualAuthenticator],
) -> None:
    user = new_user(server)
    passkey = add_passkey(server, user[0])
    remove_passkey(server, passkey)
    refused_before = len(audited(server, "passkey.refused"))
    open_login(page, server.url)
    passkey.plant(authenticator())

    page.get_by_role("button", name=BUTTON).click()
    expect(page.get_by_role("alert")).to_contain_text(REFUSED)
    expect(page).to_have_url(path_is("/login"))
    assert session_cookie(context) is None
    refusals = audited(server, "passkey.refused")
    assert len(refusals) == refused_before + 1
    assert "unknown_passkey" in refusals[-1]


def test_cancelled_then_the_password_still_signs_in(
    server: AppServer,
    context: BrowserContext,
    page: Page,
    authenticator: Callable[[], VirtualAuthenticator],
) -> None:
    user = new_user(server, "Frances Allen")
    # An authenticator with no passkey for the site: the autofill request ends
    # at once, silently; the button's is refused by the browser (NotAllowedError).
    authenticator()
    page.goto(f"{server.url}/login")
    button = page.get_by_role("button", name=BUTTON)
    expect(button).to_be_visible()
    page.wait_for_timeout(300)
    expect(page.get_by_role("alert")).to_have_count(0)

    button.click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(CANCELLED)
    expect(alert).to_contain_text("sign in another way")
    expect(button).to_be_enabled()
    assert session_cookie(context) is None

    sign_in(page, user[0])
    signed_in_as(page, "Frances Allen")


def test_login_and_the_passkey_step_pass_axe(
    server: AppServer,
    page: Page,
    axe_script: Path,
) -> None:
    user = new_user(server)
    add_passkey(server, user[0])
    open_login(page, server.url)
    # Keyboard order: the form, then the passkey button below it.
    page.get_by_label("Email or username").focus()
    for name in ("Password", "Sign in", BUTTON):
        page.keyboard.press("Tab")
        if name == "Password":
            expect(page.get_by_label(name)).to_be_focused()
        else:
            expect(page.get_by_role("button", name=name, exact=True)).to_be_focused()
    found = scan_all(page, axe_script, "/login (passkey button)")

    sign_in(page, user[0])
    expect(page.get_by_role("heading", name="Use your passkey")).to_be_visible()
    found += scan_all(page, axe_script, "/verify (passkey)")
    report(found)


# -- AUTH_MODE=otp: a passkey instead of the email code --------------------------------------


def test_in_otp_mode_the_passkey_signs_in_without_a_code(
    app: Mode,
    mail_server: MailServer,
    context: BrowserContext,
    page: Page,
    authenticator: Callable[[], VirtualAuthenticator],
) -> None:
    server = app("otp")
    user = new_user(server, "Barbara Liskov")
    passkey: SeededPasskey = add_passkey(server, user[0])
    open_login(page, server.url)
    expect(page.get_by_label("Password")).to_have_count(0)
    passkey.plant(authenticator())

    page.get_by_role("button", name=BUTTON).click()
    signed_in_as(page, "Barbara Liskov")
    assert session_cookie(context) is not None
    assert mail_server.inbox.to(user[1]) == []
