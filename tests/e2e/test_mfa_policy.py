"""MFA_REQUIRED=all in AUTH_MODE=password: no page before an authenticator app is added
(/setup-mfa), then the dashboard; an admin resets a user's factors on /users."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AppServer, MailServer, path_is, sign_in, unique
from tests.e2e.factors_support import shown_codes, shown_secret, totp_code, wait_for_mail

SETUP_HEADING = "Set up two-step verification"


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="password", MFA_REQUIRED="all", **mail_server.env)


def new_user(server: AppServer, prefix: str) -> tuple[str, str]:
    username = unique(prefix)
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Annie Easley")
    return username, email


@pytest.fixture
def other_page(browser: Browser) -> Iterator[Page]:
    """A second browser (its own cookies), for another person."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def signed_in_to_setup(page: Page, server: AppServer, username: str, path: str = "/") -> None:
    page.goto(f"{server.url}{path}")
    sign_in(page, username)
    expect(page).to_have_url(path_is("/setup-mfa"))
    expect(page.get_by_role("heading", name=SETUP_HEADING, level=1)).to_be_visible()


def enrol(page: Page, name: str = "Phone") -> tuple[str, list[str]]:
    """On /setup-mfa: add an app, save the codes, continue to the dashboard."""
    page.get_by_label("Name for this app").fill(name)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Scan the QR code")).to_be_visible()
    expect(page.get_by_role("img", name=f"QR code for {name}")).to_be_visible()
    secret = shown_secret(page)
    page.get_by_label("6-digit code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Add app").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = shown_codes(page)
    page.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Your authenticator app is set up")).to_be_visible()
    expect(page.locator("#recovery-codes")).to_have_count(0)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return secret, codes


def test_every_page_goes_to_setup_mfa_until_an_app_is_added(
    server: AppServer, mail_server: MailServer, page: Page
) -> None:
    username, email = new_user(server, "pol")
    signed_in_to_setup(page, server, username, "/users")
    expect(page.get_by_text("asks everyone to use an authenticator app")).to_be_visible()
    for path in ("/", "/profile", "/api-keys", "/audit"):
        page.goto(f"{server.url}{path}")
        expect(page).to_have_url(path_is("/setup-mfa"))
        expect(page.get_by_role("heading", name=SETUP_HEADING, level=1)).to_be_visible()

    # A wrong code keeps the user here, the QR code still shown.
    page.get_by_label("Name for this app").fill("Phone")
    page.get_by_role("button", name="Continue").click()
    secret = shown_secret(page)
    page.get_by_label("6-digit code from the app").fill("000000")
    page.get_by_role("button", name="Add app").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")
    page.goto(f"{server.url}/profile")
    expect(page).to_have_url(path_is("/setup-mfa"))

    # Started again after the detour: a new secret, and the policy is met.
    enrol(page)
    wait_for_mail(mail_server.inbox, email, "second factor was added")
    page.goto(f"{server.url}/profile")
    expect(page).to_have_url(path_is("/profile"))
    table = page.get_by_role("table").filter(has_text="Authenticator app")
    expect(table.get_by_role("row").filter(has_text="Phone")).to_have_count(1)
    expect(page.locator("#recovery-left")).to_contain_text("10 of 10")
    rows = server.query(
        "SELECT count(*) FROM totp_factors JOIN users ON users.id = totp_factors.user_id "
        "WHERE users.username = ? AND confirmed_at IS NOT NULL",
        username,
    )
    assert rows == [(1,)]
    assert secret  # the abandoned app never counted (one confirmed app above)

    # /setup-mfa itself now just says so and lets the user go on.
    page.goto(f"{server.url}/setup-mfa")
    expect(page.get_by_role("heading", name="Your authenticator app is set up")).to_be_visible()
    expect(page.get_by_label("Name for this app")).to_have_count(0)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(path_is("/"))


def test_setup_mfa_has_a_way_out(server: AppServer, page: Page) -> None:
    username, _ = new_user(server, "out")
    signed_in_to_setup(page, server, username)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(path_is("/login"))
    page.goto(f"{server.url}/setup-mfa")
    expect(page).to_have_url(path_is("/login"))
    # Signing in again leads back to it.
    sign_in(page, username)
    expect(page).to_have_url(path_is("/setup-mfa"))


def test_an_admin_resets_a_users_factors_and_the_policy_asks_again(
    server: AppServer, mail_server: MailServer, page: Page, other_page: Page
) -> None:
    admin, _ = new_user(server, "adm")
    target, target_email = new_user(server, "tgt")
    signed_in_to_setup(other_page, server, target)
    enrol(other_page)
    signed_in_to_setup(page, server, admin, "/users")
    enrol(page, "Admin phone")

    page.goto(f"{server.url}/users")
    page.get_by_label("Search").fill(target)
    expect(page.locator("tbody tr")).to_have_count(1)
    row = page.get_by_role("row").filter(has_text=target)
    expect(row.get_by_text("Authenticator", exact=True)).to_be_visible()
    expect(row.get_by_text("10 recovery codes", exact=True)).to_be_visible()

    page.get_by_role("button", name=f"Actions for {target}").click()
    page.get_by_role("menuitem", name="Reset second factors").click()
    confirm = page.get_by_role("alertdialog", name=f"Reset the second factors of {target}?")
    expect(confirm).to_contain_text("they are told by email")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(row.get_by_text("Authenticator", exact=True)).to_be_visible()

    expect(page.get_by_role("menu")).to_have_count(0)
    page.get_by_role("button", name=f"Actions for {target}").click()
    page.get_by_role("menuitem", name="Reset second factors").click()
    confirm.get_by_role("button", name="Reset second factors").click()
    expect(page.get_by_role("status")).to_have_text(f"The second factors of {target} were reset.")
    expect(row.get_by_text("Authenticator", exact=True)).to_have_count(0)
    expect(row.get_by_text("10 recovery codes", exact=True)).to_have_count(0)
    wait_for_mail(mail_server.inbox, target_email, "were reset")
    left = server.query(
        "SELECT (SELECT count(*) FROM totp_factors WHERE user_id = users.id), "
        "(SELECT count(*) FROM recovery_codes WHERE user_id = users.id) "
        "FROM users WHERE username = ?",
        target,
    )
    assert left == [(0, 0)]

    # The user's open session is sent to add an app again at the next page.
    other_page.reload()
    expect(other_page).to_have_url(path_is("/setup-mfa"))
    expect(other_page.get_by_label("Name for this app")).to_be_visible()
