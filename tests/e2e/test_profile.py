"""/profile in AUTH_MODE=password: the name, the password, and the signed-in sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PASSWORD, AppServer, path_is, sign_in, unique

NEW_PASSWORD = "another long passphrase, changed"


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer]) -> AppServer:
    return start_server(AUTH_MODE="password")


@pytest.fixture
def user(server: AppServer) -> tuple[str, str]:
    username = unique("pro")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Alan Turing")
    return username, email


@pytest.fixture
def other_page(browser: Browser) -> Iterator[Page]:
    """A second browser (its own cookies), as on another device."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def open_profile(page: Page, server: AppServer, identifier: str) -> None:
    page.goto(f"{server.url}/profile")
    sign_in(page, identifier)
    expect(page).to_have_url(path_is("/profile"))
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()


def change_password(page: Page, current: str, new: str) -> None:
    page.get_by_label("Current password").fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Confirm new password").fill(new)
    page.get_by_role("button", name="Change password").click()


def test_new_full_name_is_saved_and_shown_in_the_user_menu(
    server: AppServer, page: Page, user: tuple[str, str]
) -> None:
    open_profile(page, server, user[0])
    name = page.get_by_label("Full name")
    expect(name).to_have_value("Alan Turing")
    name.fill("Alan M. Turing")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Your name was saved.")

    page.reload()
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Alan M. Turing")
    expect(page.get_by_label("Full name")).to_have_value("Alan M. Turing")


def test_wrong_current_password_is_refused(
    server: AppServer, page: Page, user: tuple[str, str]
) -> None:
    open_profile(page, server, user[0])
    change_password(page, "not the password at all", NEW_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Your current password is not right.")

    # Nothing changed: the old password still signs in.
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(path_is("/login"))
    sign_in(page, user[0], PASSWORD)
    expect(page).to_have_url(path_is("/"))


def test_password_change_signs_out_the_other_sessions_only(
    server: AppServer, page: Page, other_page: Page, user: tuple[str, str]
) -> None:
    open_profile(page, server, user[0])
    open_profile(other_page, server, user[1])

    change_password(page, PASSWORD, NEW_PASSWORD)
    expect(page.get_by_role("status")).to_contain_text("Password changed.")

    other_page.reload()
    expect(other_page).to_have_url(path_is("/login"))
    page.reload()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    expect(page).to_have_url(path_is("/profile"))

    # The new password is the one that works now.
    sign_in(other_page, user[0], PASSWORD)
    expect(other_page.get_by_role("alert")).to_contain_text("Wrong email, username or password")
    sign_in(other_page, user[0], NEW_PASSWORD)
    expect(other_page).to_have_url(path_is("/profile"))


def test_sessions_list_and_sign_out_of_the_others(
    server: AppServer, page: Page, other_page: Page, user: tuple[str, str]
) -> None:
    open_profile(other_page, server, user[0])
    open_profile(page, server, user[0])

    rows = page.get_by_role("row")
    expect(rows).to_have_count(3)  # the header and two sessions
    expect(page.get_by_text("This device", exact=True)).to_have_count(1)
    expect(rows.filter(has_text="This device")).to_contain_text("Chrome")

    page.get_by_role("button", name="Sign out other sessions").click()
    expect(page.get_by_role("status")).to_contain_text("Signed out 1 other session.")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("This device")

    other_page.reload()
    expect(other_page).to_have_url(path_is("/login"))
    page.reload()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
