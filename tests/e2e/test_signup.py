"""Self sign-up in AUTH_MODE=password, with a real SMTP server; then with sign-up off.

The last test restarts the module's server with SIGNUP_ENABLED=false, so it
must stay last in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
)

NEW_PASSWORD = "a brand new passphrase for sign-up"


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="password", **mail_server.env)


def open_signup(page: Page, server: AppServer) -> None:
    page.goto(f"{server.url}/signup")
    # The hint is set by the page's on_load: the form is live, typing will not be lost.
    expect(page.locator("#password-hint")).to_contain_text("At least 12 characters")


def fill_signup(page: Page, username: str, full_name: str, email: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Full name").fill(full_name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)


def test_login_links_to_sign_up_and_the_form_has_labelled_fields(
    server: AppServer, page: Page
) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_role("link", name="Create account").click()

    expect(page).to_have_url(path_is("/signup"))
    for label in ["Username", "Full name", "Email", "Password"]:
        expect(page.get_by_label(label)).to_be_visible()
    expect(page.get_by_role("button", name="Create account")).to_be_visible()


def test_password_hint_reacts_to_what_is_typed(server: AppServer, page: Page) -> None:
    open_signup(page, server)
    hint = page.locator("#password-hint")

    page.get_by_label("Password").fill("short")
    expect(hint).to_have_text("Use at least 12 characters.")

    page.get_by_label("Password").fill(NEW_PASSWORD)
    expect(hint).to_have_text(re.compile(r"^(Good|Strong)"))


def test_sign_up_with_the_mailed_code_signs_the_new_user_in(
    server: AppServer, mail_server: MailServer, page: Page
) -> None:
    username = unique("new")
    email = f"{username}@example.com"
    open_signup(page, server)
    fill_signup(page, username, "Mary Jackson", email, NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_text("To create your account, enter the code we sent to")).to_contain_text(
        masked(email)
    )
    # Nothing exists until the code comes back.
    assert server.user_count(email) == 0
    enter_code(page, mail_server.inbox.code_for(email))

    expect(page).to_have_url(path_is("/"))
    menu = page.get_by_role("button", name="User menu")
    expect(menu).to_contain_text("Mary Jackson")
    expect(menu).to_contain_text(email)
    assert server.user_count(email) == 1

    # The password chosen at sign-up is the account's password.
    sign_out(page)
    sign_in(page, username, NEW_PASSWORD)
    expect(page).to_have_url(path_is("/"))


def test_sign_up_with_a_taken_email_reveals_nothing_and_tells_the_owner(
    server: AppServer, mail_server: MailServer, page: Page
) -> None:
    owner = unique("own")
    email = f"{owner}@example.com"
    server.create_user(owner, email, full_name="Dorothy Vaughan")

    open_signup(page, server)
    fill_signup(page, unique("dup"), "Someone Else", email, NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_text("To create your account, enter the code we sent to")).to_contain_text(
        masked(email)
    )
    mail = mail_server.inbox.wait_for(email)
    assert "already has an account" in mail_server.inbox.text(mail)
    assert "tried to create" in str(mail["Subject"])
    assert not re.search(r"\b\d{6}\b", mail_server.inbox.text(mail))
    assert len(mail_server.inbox.to(email)) == 1
    assert server.user_count(email) == 1


def test_sign_up_with_the_mail_server_down_creates_nothing_and_a_retry_works(
    server: AppServer, mail_server: MailServer, page: Page
) -> None:
    username = unique("down")
    email = f"{username}@example.com"
    open_signup(page, server)
    fill_signup(page, username, "Annie Easley", email, NEW_PASSWORD)

    with mail_server.down():
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("alert")).to_contain_text("The email could not be sent")
        expect(page).to_have_url(path_is("/signup"))
        assert server.user_count(email) == 0
        assert server.query(
            "SELECT count(*) FROM one_time_codes WHERE lower(email) = lower(?)", email
        ) == [(0,)]

    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(path_is("/verify"))
    enter_code(page, mail_server.inbox.code_for(email))
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Annie Easley")
    assert server.user_count(email) == 1


def test_sign_up_turned_off(start_server: Callable[..., AppServer], page: Page) -> None:
    """Last in the module: it replaces the module's server."""
    off = start_server(AUTH_MODE="password", SIGNUP_ENABLED="false")
    page.goto(f"{off.url}/signup")
    expect(page.get_by_role("status")).to_contain_text("Sign-up is turned off")
    expect(page.get_by_label("Username")).to_have_count(0)
    expect(page.get_by_role("button", name="Create account")).to_have_count(0)

    page.goto(f"{off.url}/login")
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("link", name="Create account")).to_have_count(0)
