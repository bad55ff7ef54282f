""" "Trust this browser" on the second step: the next sign-in there skips the step, until
the password changes; another browser is still asked; TRUST_BROWSER_DAYS=0 hides it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import AppServer, MailServer, path_is, sign_in, sign_out, unique
from tests.e2e.seed_factors import Authenticator, add_authenticator, set_password

APP_HEADING = "Enter the code from your authenticator app"
NEW_PASSWORD = "a brand new passphrase, long enough"
# Not the default (30): the label must come from the running server's settings.
DAYS = 14
TRUST = f"Trust this browser for {DAYS} days"

Server = Callable[..., AppServer]


@pytest.fixture(scope="module")
def server_with(start_server: Callable[..., AppServer], mail_server: MailServer) -> Server:
    """The module's server with TRUST_BROWSER_DAYS `days`; restarted only when it changes."""
    current: dict[int, AppServer] = {}

    def with_days(days: int = DAYS) -> AppServer:
        if days not in current:
            current.clear()
            current[days] = start_server(
                AUTH_MODE="password", TRUST_BROWSER_DAYS=days, **mail_server.env
            )
        return current[days]

    return with_days


@pytest.fixture
def server(server_with: Server) -> AppServer:
    return server_with()


@pytest.fixture
def user(server: AppServer) -> tuple[str, str]:
    username = unique("trust")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Frances Allen")
    return username, email


@pytest.fixture
def app(server: AppServer, user: tuple[str, str]) -> Authenticator:
    return add_authenticator(server, user[0])


def trusted_cookies(context: BrowserContext) -> list[dict[str, object]]:
    return [dict(c) for c in context.cookies() if c["name"] == "trusted_browser"]


def second_step(
    page: Page, server: AppServer, identifier: str, password: str | None = None
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, identifier, *([password] if password else []))
    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_role("heading", name=APP_HEADING)).to_be_visible()


def type_app_code(page: Page, code: str) -> None:
    page.get_by_label("Authenticator code").press_sequentially(code, delay=60)


def test_a_trusted_browser_skips_the_step_until_the_password_changes(
    server: AppServer,
    context: BrowserContext,
    page: Page,
    user: tuple[str, str],
    app: Authenticator,
) -> None:
    second_step(page, server, user[0])
    trust = page.get_by_role("checkbox", name=TRUST)
    expect(trust).not_to_be_checked()
    trust.check()
    expect(trust).to_be_checked()
    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))
    (cookie,) = trusted_cookies(context)
    assert cookie["httpOnly"] is True
    assert page.evaluate("document.cookie") == ""

    sign_out(page)
    sign_in(page, user[0])
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Frances Allen")

    sign_out(page)
    set_password(server, user[0], NEW_PASSWORD)
    # The browser still holds the cookie; the server no longer honours it.
    assert len(trusted_cookies(context)) == 1
    second_step(page, server, user[0], NEW_PASSWORD)
    expect(page.get_by_role("checkbox", name=TRUST)).not_to_be_checked()
    type_app_code(page, app.code(steps_ahead=1))
    expect(page).to_have_url(path_is("/"))


def test_without_the_tick_the_next_sign_in_asks_again(
    server: AppServer,
    context: BrowserContext,
    page: Page,
    user: tuple[str, str],
    app: Authenticator,
) -> None:
    second_step(page, server, user[0])
    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))
    assert trusted_cookies(context) == []

    sign_out(page)
    second_step(page, server, user[0])


def test_trust_holds_for_that_browser_only(
    server: AppServer, browser: Browser, page: Page, user: tuple[str, str], app: Authenticator
) -> None:
    second_step(page, server, user[0])
    page.get_by_role("checkbox", name=TRUST).check()
    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))

    other = browser.new_context()
    try:
        second_step(other.new_page(), server, user[0])
    finally:
        other.close()


def test_trust_browser_days_zero_offers_no_checkbox(
    server_with: Server, page: Page, mail_server: MailServer
) -> None:
    server = server_with(0)
    username = unique("notrust")
    server.create_user(username, f"{username}@example.com")
    app = add_authenticator(server, username)
    second_step(page, server, username)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_text("Trust this browser")).to_have_count(0)
    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))
