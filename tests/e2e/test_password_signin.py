"""A newcomer's path in AUTH_MODE=password: create an admin, sign in, look around, sign out."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD, AppServer, path_is, sign_in

SUPERADMIN = "root@example.com"
SUPERADMIN_PASSWORD = "the superadmin passphrase"
_numbers = count(1)


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer]) -> AppServer:
    return start_server(
        AUTH_MODE="password",
        SUPERADMIN_EMAIL=SUPERADMIN,
        SUPERADMIN_PASSWORD=SUPERADMIN_PASSWORD,
    )


@pytest.fixture
def admin(server: AppServer) -> tuple[str, str]:
    """A fresh admin made with the CLI: (username, email)."""
    n = next(_numbers)
    username, email = f"ada{n}", f"ada{n}@example.com"
    server.create_user(username, email, full_name="Ada Lovelace")
    return username, email


def test_signed_out_visitor_is_sent_to_login_and_back(
    server: AppServer, page: Page, admin: tuple[str, str]
) -> None:
    page.goto(f"{server.url}/profile")
    expect(page).to_have_url(path_is("/login"))
    assert "next=/profile" in page.url

    sign_in(page, admin[1])

    expect(page).to_have_url(path_is("/profile"))
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()


def test_sign_in_by_email_shows_dashboard_and_sidebar_user_menu(
    server: AppServer, page: Page, admin: tuple[str, str]
) -> None:
    page.goto(server.url)
    expect(page).to_have_url(path_is("/login"))
    sign_in(page, admin[1])

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    menu = page.get_by_role("button", name="User menu")
    expect(menu).to_contain_text("Ada Lovelace")
    expect(menu).to_contain_text(admin[1])
    menu.click()
    expect(page.get_by_role("menuitem", name="Profile")).to_be_visible()
    page.get_by_role("menuitem", name="Sign out").click()

    expect(page).to_have_url(path_is("/login"))
    expect(page.get_by_label("Email or username")).to_be_visible()


def test_sign_in_by_username_in_any_case(
    server: AppServer, page: Page, admin: tuple[str, str]
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, admin[0].upper())
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text(admin[1])


def test_profile_is_reached_from_the_user_menu(
    server: AppServer, page: Page, admin: tuple[str, str]
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, admin[0])
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Profile").click()
    expect(page).to_have_url(path_is("/profile"))
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    details = page.get_by_role("heading", name="Your details").locator("..")
    expect(details.get_by_text(admin[0], exact=True)).to_be_visible()


def test_wrong_password_and_unknown_user_look_the_same_and_set_no_cookie(
    server: AppServer, context: BrowserContext, page: Page, admin: tuple[str, str]
) -> None:
    messages = []
    for identifier, password in [(admin[1], "not the password at all"), ("nobody@x.org", PASSWORD)]:
        page.goto(f"{server.url}/login")
        sign_in(page, identifier, password)
        alert = page.get_by_role("alert")
        expect(alert).to_be_visible()
        messages.append(alert.inner_text())
        expect(page).to_have_url(path_is("/login"))
    assert messages[0] == messages[1]
    assert "Wrong email, username or password" in messages[0]
    assert context.cookies() == []


def test_session_cookie_is_httponly_lax_and_invisible_to_scripts(
    server: AppServer, context: BrowserContext, page: Page, admin: tuple[str, str]
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, admin[0])
    expect(page).to_have_url(path_is("/"))

    (cookie,) = [c for c in context.cookies() if c["name"] == "token"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["expires"] == -1  # a browser-session cookie by default
    assert page.evaluate("document.cookie") == ""


def test_old_cookie_opens_nothing_after_sign_out(
    server: AppServer,
    browser: Browser,
    context: BrowserContext,
    page: Page,
    admin: tuple[str, str],
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, admin[0])
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    (stolen,) = [c for c in context.cookies() if c["name"] == "token"]

    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(path_is("/login"))
    assert [c for c in context.cookies() if c["name"] == "token"] == []

    replay = browser.new_context()
    try:
        replay.add_cookies([stolen])  # type: ignore[list-item]
        other = replay.new_page()
        other.goto(server.url)
        expect(other).to_have_url(path_is("/login"))
    finally:
        replay.close()


def test_superadmin_from_the_environment_can_sign_in(server: AppServer, page: Page) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, SUPERADMIN, SUPERADMIN_PASSWORD)
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("link", name="Users")).to_be_visible()


def test_already_signed_in_visitor_skips_login(
    server: AppServer, page: Page, admin: tuple[str, str]
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, admin[0])
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{server.url}/login?next=/profile")
    expect(page).to_have_url(path_is("/profile"))
