"""AUTH_MODE=password with an authenticator app: /verify asks for its code, and offers
a recovery code and (with the user's email MFA on) the email code instead."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    AppServer,
    MailServer,
    enter_code,
    masked,
    path_is,
    sign_in,
    sign_out,
    unique,
    wrong_code,
)
from tests.e2e.seed_factors import Authenticator, add_authenticator, turn_email_mfa_on
from tests.e2e.test_accessibility import axe_path, report, scan_all
from tests.support.smtp import Inbox

APP_HEADING = "Enter the code from your authenticator app"
RECOVERY_HEADING = "Enter a recovery code"


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="password", **mail_server.env)


@pytest.fixture
def user(server: AppServer) -> tuple[str, str]:
    username = unique("totp")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Radia Perlman")
    return username, email


@pytest.fixture
def axe_script() -> Path:
    path = axe_path()
    if path is None or not path.is_file():
        pytest.skip("axe-core is not installed: run `make axe-core` (make test does)")
    return path


@pytest.fixture
def app(server: AppServer, user: tuple[str, str]) -> Authenticator:
    return add_authenticator(server, user[0])


def type_app_code(page: Page, code: str) -> None:
    """Into the 6-box field, digit by digit (the sixth submits), as `enter_code` does."""
    page.get_by_label("Authenticator code").press_sequentially(code, delay=60)


def mails_about(inbox: Inbox, address: str, words: str, timeout: float = 10) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in inbox.to(address):
            if words in str(mail["Subject"]):
                return mail
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address} about {words!r} within {timeout}s")


def open_second_step(page: Page, server: AppServer, identifier: str) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, identifier)
    expect(page).to_have_url(path_is("/verify"))


def test_the_app_code_signs_in_and_no_mail_goes(
    server: AppServer,
    mail_server: MailServer,
    page: Page,
    user: tuple[str, str],
    app: Authenticator,
) -> None:
    open_second_step(page, server, user[0])

    expect(page.get_by_role("heading", name=APP_HEADING)).to_be_visible()
    expect(page.get_by_text("Open the authenticator app you added")).to_be_visible()
    expect(page.get_by_label("Authenticator code")).to_be_focused()
    expect(page.get_by_role("button", name="Use a recovery code")).to_be_visible()
    # Email MFA is off for this user: the email code is not one of the ways.
    expect(page.get_by_role("button", name="Email me a code instead")).to_have_count(0)
    expect(page.get_by_role("button", name="Resend code")).to_have_count(0)

    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Radia Perlman")
    assert mail_server.inbox.to(user[1]) == []


def test_a_wrong_app_code_then_the_right_one(
    server: AppServer, page: Page, user: tuple[str, str], app: Authenticator
) -> None:
    open_second_step(page, server, user[1])
    code = app.code()

    type_app_code(page, wrong_code(code))
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")
    expect(page).to_have_url(path_is("/verify"))
    # A fresh, empty field, focused again for the next try.
    field = page.get_by_label("Authenticator code")
    expect(field).to_be_focused()
    expect(field).to_have_value("")

    type_app_code(page, code)
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_a_recovery_code_signs_in_once_and_is_mailed_about(
    server: AppServer,
    mail_server: MailServer,
    page: Page,
    user: tuple[str, str],
    app: Authenticator,
) -> None:
    open_second_step(page, server, user[0])
    # Keyboard only: from the code field past "Verify" to the switch.
    expect(page.get_by_label("Authenticator code")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Verify")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Use a recovery code")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=RECOVERY_HEADING)).to_be_visible()
    field = page.get_by_label("Recovery code")
    expect(field).to_be_focused()
    expect(page.get_by_label("Authenticator code")).to_have_count(0)
    recovery_code = app.recovery_codes[0]
    page.keyboard.type(recovery_code.upper())
    page.keyboard.press("Enter")

    expect(page).to_have_url(path_is("/"))
    mail = mails_about(mail_server.inbox, user[1], "A recovery code was used")
    assert "9 recovery codes are left" in mail_server.inbox.text(mail)

    sign_out(page)
    sign_in(page, user[0])
    expect(page).to_have_url(path_is("/verify"))
    page.get_by_role("button", name="Use a recovery code").click()
    page.get_by_label("Recovery code").fill(recovery_code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")
    expect(page).to_have_url(path_is("/verify"))
    # The field is back, focused, with what was typed (to fix a typo).
    expect(page.get_by_label("Recovery code")).to_be_focused()
    expect(page.get_by_label("Recovery code")).to_have_value(recovery_code)

    page.get_by_label("Recovery code").fill(app.recovery_codes[1])
    page.get_by_label("Recovery code").press("Enter")
    expect(page).to_have_url(path_is("/"))


def test_switching_to_a_recovery_code_and_back_to_the_app(
    server: AppServer, page: Page, user: tuple[str, str], app: Authenticator
) -> None:
    open_second_step(page, server, user[0])
    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.get_by_label("Recovery code")).to_be_focused()
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter one of your recovery codes.")

    page.get_by_role("button", name="Use your authenticator app").click()
    expect(page.get_by_role("heading", name=APP_HEADING)).to_be_visible()
    expect(page.get_by_label("Authenticator code")).to_be_focused()
    expect(page.get_by_role("alert")).to_have_count(0)
    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))


def test_with_email_mfa_on_the_email_code_is_one_of_the_ways(
    server: AppServer,
    mail_server: MailServer,
    page: Page,
    user: tuple[str, str],
    app: Authenticator,
) -> None:
    turn_email_mfa_on(server, user[0])
    open_second_step(page, server, user[0])
    expect(page.get_by_role("heading", name=APP_HEADING)).to_be_visible()
    # Nothing is mailed until the user picks the email code.
    assert mail_server.inbox.to(user[1]) == []

    page.get_by_role("button", name="Email me a code instead").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("To finish signing in, enter the code we sent to")).to_contain_text(
        masked(user[1])
    )
    expect(page.locator("#resend-status")).to_have_text(f"We sent a code to {masked(user[1])}.")
    expect(page.get_by_label("Verification code")).to_be_focused()
    expect(page.get_by_role("button", name="Resend code in", exact=False)).to_be_disabled()
    code = mail_server.inbox.code_for(user[1])

    # To the app and back: the code already mailed is still the one.
    page.get_by_role("button", name="Use your authenticator app").click()
    expect(page.get_by_label("Authenticator code")).to_be_focused()
    page.get_by_role("button", name="Use the code we emailed you").click()
    expect(page.get_by_label("Verification code")).to_be_focused()

    enter_code(page, code)
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Radia Perlman")
    assert len(mail_server.inbox.to(user[1])) == 1


def test_every_way_passes_axe_and_reflows(
    server: AppServer,
    mail_server: MailServer,
    page: Page,
    user: tuple[str, str],
    app: Authenticator,
    axe_script: Path,
) -> None:
    turn_email_mfa_on(server, user[0])
    open_second_step(page, server, user[0])
    found = scan_all(page, axe_script, "/verify (app)")
    type_app_code(page, wrong_code(app.code()))
    expect(page.get_by_role("alert")).to_be_visible()
    found += scan_all(page, axe_script, "/verify (app, wrong code)")

    page.set_viewport_size({"width": 320, "height": 256})
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"/verify (app) scrolls sideways at 320 px: {sizes}"
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.get_by_label("Recovery code")).to_be_focused()
    found += scan_all(page, axe_script, "/verify (recovery code)")
    page.get_by_role("button", name="Email me a code instead").click()
    expect(page.get_by_label("Verification code")).to_be_focused()
    found += scan_all(page, axe_script, "/verify (email code of a factor step)")
    report(found)
