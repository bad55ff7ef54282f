"""AUTH_MODE=password+otp: the password, then always a code from a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    AppServer,
    MailServer,
    enter_code,
    masked,
    path_is,
    sign_in,
    unique,
)


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="password+otp", **mail_server.env)


@pytest.fixture
def user(server: AppServer) -> tuple[str, str]:
    username = unique("pwo")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Katherine Johnson")
    return username, email


def token_cookies(context: BrowserContext) -> list[object]:
    return [c for c in context.cookies() if c["name"] == "token"]


def test_password_then_code_signs_in(
    server: AppServer,
    mail_server: MailServer,
    context: BrowserContext,
    page: Page,
    user: tuple[str, str],
) -> None:
    page.goto(f"{server.url}/login")
    expect(page.get_by_label("Password")).to_be_visible()
    sign_in(page, user[0])

    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_text("To finish signing in, enter the code we sent to")).to_contain_text(
        masked(user[1])
    )
    # The password alone opened nothing.
    assert token_cookies(context) == []

    enter_code(page, mail_server.inbox.code_for(user[1]))
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Katherine Johnson")
    assert len(token_cookies(context)) == 1


def test_the_code_step_cannot_be_skipped(
    server: AppServer, context: BrowserContext, page: Page, user: tuple[str, str]
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, user[1])
    expect(page).to_have_url(path_is("/verify"))

    page.goto(f"{server.url}/")
    expect(page).to_have_url(path_is("/login"))
    assert token_cookies(context) == []


def test_wrong_password_looks_like_an_unknown_user_and_mails_nothing(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    nobody = f"{unique('nobody')}@example.com"
    messages = []
    for identifier, password in [(user[1], "not the password at all"), (nobody, PASSWORD)]:
        page.goto(f"{server.url}/login")
        sign_in(page, identifier, password)
        alert = page.get_by_role("alert")
        expect(alert).to_be_visible()
        messages.append(alert.inner_text())
        expect(page).to_have_url(path_is("/login"))
    assert messages[0] == messages[1]
    assert "Wrong email, username or password" in messages[0]
    assert mail_server.inbox.to(user[1]) == []
    assert mail_server.inbox.to(nobody) == []


def test_profile_shows_mfa_always_on(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    page.goto(f"{server.url}/profile")
    expect(page).to_have_url(path_is("/login"))
    sign_in(page, user[0])
    expect(page).to_have_url(path_is("/verify"))
    enter_code(page, mail_server.inbox.code_for(user[1]))

    expect(page).to_have_url(path_is("/profile"))
    expect(page.get_by_text("Always on")).to_be_visible()
    expect(page.get_by_role("switch")).to_have_count(0)
