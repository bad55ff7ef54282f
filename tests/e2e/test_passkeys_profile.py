"""Passkeys in the pages, made and used by Chromium's virtual authenticator: adding them
on /profile (recovery codes with the first), "Use a passkey" in "Confirm it's you"
to remove one, a passkey as the factor /setup-mfa asks for, and its count on /users.

The server runs with REAUTH_MINUTES=1 (whole minutes, the shortest): the test
that re-authenticates waits one minute after its sign-in. The authenticator is
attached once a page is signed in and detached before a sign-out: a sign-in
page that offers passkeys in autofill would otherwise be answered by it at once
(tests/e2e/virtual_authenticator.py), and these tests sign in by password.
The /setup-mfa test starts its own server (MFA_REQUIRED=all), so it comes last.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import PASSWORD, AppServer, MailServer, path_is, sign_in, sign_out, unique
from tests.e2e.factors_support import open_profile, shown_codes, wait_for_mail
from tests.e2e.test_accessibility import axe_path, report, scan_all
from tests.e2e.virtual_authenticator import Credential, VirtualAuthenticator

STALE_AFTER = 61  # seconds: REAUTH_MINUTES=1, and a second to spare
ADDED = re.compile(r"Added \d{4}-\d\d-\d\d \d\d:\d\d UTC")


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="password", REAUTH_MINUTES="1", **mail_server.env)


@pytest.fixture
def user(server: AppServer) -> tuple[str, str]:
    username = unique("pk")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Radia Perlman")
    return username, email


def axe() -> Path | None:
    found = axe_path()
    return found if found is not None and found.is_file() else None


def passkeys_list(page: Page) -> Locator:
    return page.get_by_role("list", name="Passkeys")


def reauth(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Confirm it's you")


def name_and_add(page: Page, name: str) -> Locator:
    """From /profile: open "Add a passkey", name it, and let the browser make it."""
    page.get_by_role("button", name="Add a passkey").click()
    dialog = page.get_by_role("dialog", name="Add a passkey")
    expect(dialog).to_be_visible()
    field = dialog.get_by_label("Name for this passkey")
    expect(field).to_have_value("Passkey")
    field.fill(name)
    dialog.get_by_role("button", name="Add a passkey").click()
    return dialog


def confirm_by_password_if_asked(page: Page, after: Locator) -> None:
    """The proof is fresh after a sign-in; should the dialog ask anyway, the password."""
    expect(after.or_(reauth(page)).first).to_be_visible()
    if reauth(page).count():
        reauth(page).get_by_label("Password").fill(PASSWORD)
        reauth(page).get_by_role("button", name="Confirm").click()


def audited(server: AppServer, username: str, kind: str) -> list[str]:
    rows = server.query(
        "SELECT audit_events.detail FROM audit_events JOIN users ON users.id = "
        "audit_events.user_id WHERE users.username = ? AND kind = ?",
        username,
        kind,
    )
    return [str(row[0]) for row in rows]


def plant(page: Page, credential: Credential) -> VirtualAuthenticator:
    """A new authenticator on the page holding a copy of `credential` (a synced passkey)."""
    authenticator = VirtualAuthenticator.attach(page)
    assert credential.rp_id is not None
    authenticator.add_credential(
        credential_id=credential.credential_id,
        rp_id=credential.rp_id,
        private_key=credential.private_key,
        user_handle=credential.user_handle,
        sign_count=credential.sign_count,
    )
    return authenticator


def test_add_passkeys_then_remove_one_after_proving_it_with_the_other(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    username, email = user
    found: list[str] = []
    open_profile(page, server, username)
    expect(page.get_by_role("heading", name="Passkeys", level=3)).to_be_visible()
    expect(page.get_by_text("No passkey yet.")).to_be_visible()
    laptop = VirtualAuthenticator.attach(page)

    # The user turns the browser's prompt down: a calm word, nothing made.
    laptop.set_user_verified(False)
    dialog = name_and_add(page, "Work laptop")
    confirm_by_password_if_asked(page, dialog.get_by_role("status"))
    expect(dialog.get_by_role("status")).to_contain_text("No passkey was added")
    expect(dialog.get_by_role("alert")).to_have_count(0)
    assert laptop.credentials() == []
    if (script := axe()) is not None:
        found += scan_all(page, script, "/profile Add a passkey (cancelled)")

    laptop.set_user_verified(True)
    dialog.get_by_role("button", name="Add a passkey").click()
    # The first strong factor: the recovery codes, shown once.
    codes_dialog = page.get_by_role("dialog", name="Save your recovery codes")
    expect(codes_dialog).to_be_visible()
    expect(codes_dialog).to_contain_text("Your passkey is added.")
    codes = shown_codes(page)
    assert len(set(codes)) == 10
    codes_dialog.get_by_role("button", name="I have saved them").click()
    expect(codes_dialog).to_have_count(0)
    expect(page.locator("#recovery-codes")).to_have_count(0)
    assert all(code not in page.content() for code in codes)

    item = passkeys_list(page).get_by_role("listitem").filter(has_text="Work laptop")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(ADDED)
    expect(item).to_contain_text("Never used")
    expect(page.get_by_role("status").filter(has_text="“Work laptop” was added")).to_be_visible()
    expect(page.locator("#recovery-left")).to_contain_text("10 of 10 recovery codes left")
    held = laptop.credentials()
    assert len(held) == 1 and held[0].is_resident and held[0].rp_id == "localhost", held
    assert "Work laptop" in wait_for_mail(mail_server.inbox, email, "second factor was added")
    assert any("Work laptop" in detail for detail in audited(server, username, "factor.added"))

    # The same device again: the browser refuses it (the page excludes the passkeys held).
    dialog = name_and_add(page, "Laptop again")
    expect(dialog.get_by_role("status")).to_contain_text("already holds a passkey")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert len(laptop.credentials()) == 1

    # A second device: no new codes, the dialog closes and both are listed.
    laptop.detach()
    phone = VirtualAuthenticator.attach(page)
    dialog = name_and_add(page, "Phone")
    expect(page.get_by_role("status").filter(has_text="“Phone” was added")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(passkeys_list(page).get_by_role("listitem")).to_have_count(2)
    expect(page.locator("#recovery-left")).to_contain_text("10 of 10")
    assert len(phone.credentials()) == 1
    wait_for_mail(mail_server.inbox, email, "second factor was added", count=2)
    if (script := axe()) is not None:
        found += scan_all(page, script, "/profile with passkeys")
    [phone_key] = phone.credentials()

    # Signed out and in again by password (and a recovery code for the second step);
    # then the proof goes stale.
    phone.detach()
    sign_out(page)
    sign_in(page, username)
    expect(page).to_have_url(path_is("/verify"))
    page.get_by_role("button", name="Use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(path_is("/"))
    signed_in = time.monotonic()
    page.goto(f"{server.url}/profile")
    expect(passkeys_list(page).get_by_role("listitem")).to_have_count(2)
    phone = plant(page, phone_key)
    time.sleep(max(0.0, signed_in + STALE_AFTER - time.monotonic()))

    page.get_by_role("button", name="Remove passkey Work laptop").click()
    confirm = page.get_by_role("alertdialog", name="Remove passkey Work laptop?")
    expect(confirm).to_contain_text("It stops working at once.")
    if (script := axe()) is not None:
        found += scan_all(page, script, "/profile Remove passkey")
    confirm.get_by_role("button", name="Remove").click()
    proof = reauth(page)
    expect(proof).to_be_visible()
    expect(proof.get_by_label("Password")).to_be_focused()

    # A prompt turned down first: a calm word, and the way to try again has the focus.
    phone.set_user_verified(False)
    proof.get_by_role("button", name="Use a passkey").click()
    expect(proof.get_by_role("status")).to_contain_text("The passkey was not used")
    retry = proof.get_by_role("button", name="Use a passkey")
    expect(retry).to_be_focused()
    if (script := axe()) is not None:
        found += scan_all(page, script, "/profile Confirm it's you (passkey)")
    # (The page behind the modal dialog is hidden from the accessibility tree.)
    expect(page.locator("ul[aria-label=Passkeys] > li")).to_have_count(2)

    phone.set_user_verified(True)
    retry.click()
    expect(proof).to_have_count(0)
    expect(
        page.get_by_role("status").filter(has_text="Passkey “Work laptop” was removed.")
    ).to_be_visible()
    items = passkeys_list(page).get_by_role("listitem")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("Phone")
    # Proving it used it.
    expect(items).to_contain_text(re.compile(r"Last used \d{4}-"))
    assert any("Work laptop" in detail for detail in audited(server, username, "factor.removed"))
    assert any("passkey" in detail for detail in audited(server, username, "reauth.succeeded"))
    assert "Work laptop" in wait_for_mail(mail_server.inbox, email, "second factor was removed")
    assert server.query(
        "SELECT passkeys.name FROM passkeys JOIN users ON users.id = passkeys.user_id "
        "WHERE users.username = ?",
        username,
    ) == [("Phone",)]
    report(found)


# -- last: this test starts the module's other server ----------------------------------------


def test_setup_mfa_takes_a_passkey_then_opens_the_dashboard(
    start_server: Callable[..., AppServer], mail_server: MailServer, page: Page
) -> None:
    server = start_server(AUTH_MODE="password", MFA_REQUIRED="all", **mail_server.env)
    username = unique("pkm")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Frances Allen")
    page.goto(f"{server.url}/")
    sign_in(page, username)
    expect(page).to_have_url(path_is("/setup-mfa"))
    expect(
        page.get_by_text("asks everyone to use an authenticator app or a passkey")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Or add a passkey")).to_be_visible()
    VirtualAuthenticator.attach(page)

    # The name left as it is; no proof asked right after this sign-in.
    expect(page.get_by_label("Name for this passkey")).to_have_value("Passkey")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    expect(reauth(page)).to_have_count(0)
    codes = shown_codes(page)
    assert len(set(codes)) == 10
    page.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Your passkey is set up")).to_be_visible()
    expect(page.locator("#recovery-codes")).to_have_count(0)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    wait_for_mail(mail_server.inbox, email, "second factor was added")

    page.goto(f"{server.url}/profile")
    expect(page).to_have_url(path_is("/profile"))
    expect(passkeys_list(page).get_by_role("listitem").filter(has_text="Passkey")).to_have_count(1)

    # An Admin (create-admin made this user one) sees it beside the other factors on /users.
    page.goto(f"{server.url}/users")
    page.get_by_label("Search").fill(username)
    expect(page.locator("tbody tr")).to_have_count(1)
    row = page.get_by_role("row").filter(has_text=username)
    expect(row.get_by_text("1 passkey", exact=True)).to_be_visible()
    expect(row.get_by_text("10 recovery codes", exact=True)).to_be_visible()
    expect(row.get_by_text("Authenticator", exact=True)).to_have_count(0)
