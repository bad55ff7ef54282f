"""Per-user MFA in AUTH_MODE=password: switched on and off on /profile."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    AppServer,
    MailServer,
    enter_code,
    masked,
    path_is,
    sign_in,
    sign_out,
    unique,
)

SWITCH = "Ask for an email code after my password"


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="password", **mail_server.env)


@pytest.fixture
def user(server: AppServer) -> tuple[str, str]:
    username = unique("mfa")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Hedy Lamarr")
    return username, email


def open_profile_signed_in(page: Page, server: AppServer, identifier: str) -> Locator:
    page.goto(f"{server.url}/profile")
    sign_in(page, identifier)
    expect(page).to_have_url(path_is("/profile"))
    return page.get_by_role("switch", name=SWITCH)


def turn_mfa_on(page: Page, switch: Locator) -> None:
    expect(switch).not_to_be_checked()
    switch.click()
    expect(page.get_by_role("status")).to_contain_text("Sign-in now asks for a code")
    expect(switch).to_be_checked()


def test_with_mfa_on_sign_in_needs_the_mailed_code(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    turn_mfa_on(page, open_profile_signed_in(page, server, user[0]))
    sign_out(page)

    sign_in(page, user[0])
    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_text("To finish signing in, enter the code we sent to")).to_contain_text(
        masked(user[1])
    )
    mail = mail_server.inbox.wait_for(user[1])
    assert "finish signing in" in mail_server.inbox.text(mail)
    enter_code(page, mail_server.inbox.code_for(user[1]))

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Hedy Lamarr")


def test_turning_mfa_off_needs_the_password(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    switch = open_profile_signed_in(page, server, user[0])
    turn_mfa_on(page, switch)

    switch.click()
    dialog = page.get_by_role("dialog", name="Turn off MFA")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Password").fill("not the password at all")
    dialog.get_by_role("button", name="Turn off with password").click()
    expect(dialog.get_by_role("alert")).to_contain_text("That password is not right.")
    expect(dialog).to_be_visible()

    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Turn off with password").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("MFA is off.")
    expect(switch).not_to_be_checked()

    sign_out(page)
    sign_in(page, user[1])
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert mail_server.inbox.to(user[1]) == []


def test_turning_mfa_off_with_a_mailed_code(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    switch = open_profile_signed_in(page, server, user[0])
    turn_mfa_on(page, switch)

    switch.click()
    dialog = page.get_by_role("dialog", name="Turn off MFA")
    dialog.get_by_role("button", name="Email me a code instead").click()
    expect(dialog).to_contain_text(f"Code sent to {masked(user[1])}")
    dialog.get_by_label("Code", exact=True).fill(mail_server.inbox.code_for(user[1]))
    dialog.get_by_role("button", name="Turn off with code").click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("MFA is off.")
    expect(switch).not_to_be_checked()


def test_cancelling_the_dialog_leaves_mfa_on(
    server: AppServer, page: Page, user: tuple[str, str]
) -> None:
    switch = open_profile_signed_in(page, server, user[0])
    turn_mfa_on(page, switch)

    switch.click()
    dialog = page.get_by_role("dialog", name="Turn off MFA")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(switch).to_be_checked()
    page.reload()
    expect(page.get_by_role("switch", name=SWITCH)).to_be_checked()
