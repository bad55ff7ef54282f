""" "Forgot password" in AUTH_MODE=password+otp with a real SMTP server; then in password mode.

The last test restarts the module's server with AUTH_MODE=password, so it
must stay last in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, AppServer, MailServer, enter_code, path_is, sign_in, unique

NEW_PASSWORD = "a new passphrase chosen from the mail"
CONFIRMATION = "If an account uses that address, a reset link is on its way."


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="password+otp", **mail_server.env)


@pytest.fixture
def user(server: AppServer) -> tuple[str, str]:
    username = unique("fgt")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Hedy Lamarr")
    return username, email


def ask_for_a_link(page: Page, server: AppServer, email: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page).to_have_url(path_is("/forgot-password"))
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status")).to_have_text(CONFIRMATION)
    expect(page.get_by_label("Email")).to_have_count(0)


def test_a_mailed_link_sets_a_password_that_then_signs_in_with_a_code(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    username, email = user
    ask_for_a_link(page, server, email)

    mail = mail_server.inbox.wait_for(email)
    assert "Reset your" in str(mail["Subject"])
    found = re.search(r"(\S+/reset-password\?token=[\w-]+)", mail_server.inbox.text(mail))
    assert found, mail_server.inbox.text(mail)
    url = found.group(1)
    assert url.startswith(f"{server.url}/reset-password?token=")

    page.goto(url)
    expect(page.get_by_text("New password for")).to_contain_text(username)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password was changed")

    page.goto(url)
    expect(page.get_by_role("alert")).to_contain_text("This reset link is not valid any more")

    page.goto(f"{server.url}/login")
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Wrong email, username or password")
    sign_in(page, email, NEW_PASSWORD)
    expect(page).to_have_url(path_is("/verify"))
    # Mail 2 told the owner the password changed; mail 3 is the sign-in code.
    enter_code(page, mail_server.inbox.code_for(email, count=3))
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Hedy Lamarr")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    server: AppServer, mail_server: MailServer, page: Page
) -> None:
    nobody = f"{unique('nobody')}@example.com"
    links = server.query("SELECT count(*) FROM reset_links")
    ask_for_a_link(page, server, nobody)
    # The mail, had there been one, goes out before the page answers.
    assert mail_server.inbox.to(nobody) == []
    assert server.query("SELECT count(*) FROM reset_links") == links


def test_no_forgot_password_in_password_mode(
    start_server: Callable[..., AppServer], mail_server: MailServer, page: Page
) -> None:
    """Last in the module: it replaces the module's server."""
    plain = start_server(AUTH_MODE="password", **mail_server.env)
    username = unique("adm")
    email = f"{username}@example.com"
    plain.create_user(username, email)

    page.goto(f"{plain.url}/login")
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("link", name="Forgot password?")).to_have_count(0)

    # Typed in by hand, the page refuses: resets go through an admin here.
    page.goto(f"{plain.url}/forgot-password")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("alert")).to_contain_text("go through an administrator")
    expect(page.get_by_role("status")).to_have_count(0)
    assert mail_server.inbox.to(email) == []
