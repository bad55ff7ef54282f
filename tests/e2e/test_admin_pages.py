"""Administration in the browser (AUTH_MODE=password): users, keys, audit log, dashboard.

The module's one Admin is made with the CLI; the users it acts on are made
through the REST API with its token (quick set-up), then handled in the pages.
No test here leaves a second Admin behind: the last-Admin rule needs one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.conftest import PASSWORD, AppServer, path_is, sign_in, unique

NEW_PASSWORD = "a fresh passphrase from the reset link"


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer]) -> AppServer:
    return start_server(AUTH_MODE="password")


@pytest.fixture(scope="module")
def admin(server: AppServer) -> str:
    """The module's only Admin, made with the CLI: its username."""
    username = unique("boss")
    server.create_user(username, f"{username}@example.com", full_name="Grace Hopper")
    return username


@pytest.fixture(scope="module")
def api(server: AppServer, admin: str) -> Iterator[httpx.Client]:
    """The REST API as the Admin, for quick set-up."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answer = client.post("/auth/login", json={"username": admin, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield client


@pytest.fixture
def make_user(api: httpx.Client) -> Callable[..., str]:
    """A fresh plain (non-admin) user with PASSWORD: its username."""

    def make(full_name: str = "Alan Turing") -> str:
        username = unique("usr")
        answer = api.post(
            "/api/users",
            json={
                "username": username,
                "full_name": full_name,
                "email": f"{username}@example.com",
                "password": PASSWORD,
            },
        )
        assert answer.status_code == 201, answer.text
        return username

    return make


@pytest.fixture
def other(browser: Browser) -> Iterator[BrowserContext]:
    """A second browser, for another person."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context
    context.close()


def signed_in(page: Page, server: AppServer, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, username, password)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def open_users(page: Page, server: AppServer, admin: str) -> None:
    signed_in(page, server, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page).to_have_url(path_is("/users"))
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    expect(row_of(page, admin)).to_be_visible()


def row_of(page: Page, username: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=username, exact=True))


def act_on(page: Page, username: str, action: str) -> None:
    # The last menu has finished closing first (menus are not modal: a click that
    # lands while one is still animating out goes to its closing layer).
    expect(page.get_by_role("menu")).to_have_count(0)
    page.get_by_role("button", name=f"Actions for {username}").click()
    page.get_by_role("menuitem", name=action, exact=True).click()


def search(page: Page, username: str) -> None:
    """Narrow the table to one user; wait for it, so no menu opens on a row about to go."""
    page.get_by_label("Search").fill(username)
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(row_of(page, username)).to_be_visible()


def notice(page: Page) -> Locator:
    return page.get_by_role("status")


def test_create_user_search_and_hand_over_a_reset_link(
    server: AppServer, admin: str, page: Page, other: BrowserContext
) -> None:
    username = unique("new")
    open_users(page, server, admin)

    page.get_by_role("button", name="Create user").click()
    dialog = page.get_by_role("dialog", name="Create user")
    dialog.get_by_label("Username").fill(username)
    dialog.get_by_label("Full name").fill("Margaret Hamilton")
    dialog.get_by_label("Email").fill(f"{username}@example.com")
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Create").click()

    expect(notice(page)).to_have_text(f"{username} was created.")
    expect(dialog).to_be_hidden()
    row = row_of(page, username)
    expect(row).to_contain_text("Margaret Hamilton")
    expect(row).to_contain_text(f"{username}@example.com")
    expect(row.get_by_text("Admin", exact=True)).to_have_count(0)

    body_rows = page.locator("tbody tr")
    page.get_by_label("Search").fill(username)
    expect(body_rows).to_have_count(1)
    expect(row_of(page, username)).to_be_visible()
    expect(page.get_by_text("1 users · page 1 of 1")).to_be_visible()
    page.get_by_label("Search").fill(unique("nobody"))
    expect(body_rows).to_have_count(0)
    page.get_by_label("Search").fill("margaret hamilton")
    expect(body_rows).to_have_count(1)
    expect(row_of(page, username)).to_be_visible()
    expect(row_of(page, admin)).to_have_count(0)

    # The new user is signed in somewhere when the admin hands over a link.
    theirs = other.new_page()
    signed_in(theirs, server, username)

    act_on(page, username, "Generate reset link")
    link_dialog = page.get_by_role("dialog", name=f"Reset link for {username}")
    expect(link_dialog).to_be_visible()
    url = page.locator("#reset-url").inner_text()
    assert re.fullmatch(rf"{re.escape(server.url)}/reset-password\?token=[\w-]{{20,}}", url), url
    link_dialog.get_by_role("button", name="Done").click()
    expect(link_dialog).to_be_hidden()

    theirs.goto(url)
    expect(theirs.get_by_text("New password for")).to_contain_text(username)
    theirs.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    theirs.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    theirs.get_by_role("button", name="Set password").click()
    expect(theirs.get_by_role("status")).to_contain_text("Your password was changed")

    # Single use.
    theirs.goto(url)
    expect(theirs.get_by_role("alert")).to_contain_text("This reset link is not valid any more")
    expect(theirs.get_by_label("New password", exact=True)).to_have_count(0)

    # The reset signed the user out everywhere; the old password is gone.
    theirs.goto(server.url)
    expect(theirs).to_have_url(path_is("/login"))
    sign_in(theirs, username, PASSWORD)
    expect(theirs.get_by_role("alert")).to_contain_text("Wrong email, username or password")
    sign_in(theirs, username, NEW_PASSWORD)
    expect(theirs).to_have_url(path_is("/"))
    expect(theirs.get_by_role("button", name="User menu")).to_contain_text("Margaret Hamilton")


def test_a_newer_reset_link_kills_the_older_and_mismatched_passwords_are_refused(
    server: AppServer, admin: str, make_user: Callable[..., str], page: Page, other: BrowserContext
) -> None:
    username = make_user()
    open_users(page, server, admin)
    search(page, username)
    urls = []
    for _ in range(2):
        act_on(page, username, "Generate reset link")
        link_dialog = page.get_by_role("dialog", name=f"Reset link for {username}")
        expect(page.locator("#reset-url")).to_contain_text("/reset-password?token=")
        urls.append(page.locator("#reset-url").inner_text())
        link_dialog.get_by_role("button", name="Done").click()
        expect(link_dialog).to_be_hidden()
    older, newer = urls
    assert older != newer

    theirs = other.new_page()
    theirs.goto(older)
    expect(theirs.get_by_role("alert")).to_contain_text("This reset link is not valid any more")

    theirs.goto(newer)
    theirs.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    theirs.get_by_label("Confirm new password").fill(NEW_PASSWORD + "!")
    theirs.get_by_role("button", name="Set password").click()
    expect(theirs.get_by_role("alert")).to_have_text("The two passwords differ.")

    theirs.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    theirs.get_by_role("button", name="Set password").click()
    expect(theirs.get_by_role("status")).to_contain_text("Your password was changed")


def test_disable_sends_the_user_out_and_enable_lets_them_back(
    server: AppServer, admin: str, make_user: Callable[..., str], page: Page, other: BrowserContext
) -> None:
    username = make_user()
    theirs = other.new_page()
    signed_in(theirs, server, username)

    open_users(page, server, admin)
    search(page, username)
    act_on(page, username, "Disable")
    expect(notice(page)).to_have_text(
        f"{username} is disabled; their sessions and keys stopped working."
    )
    expect(row_of(page, username).get_by_text("Disabled", exact=True)).to_be_visible()

    theirs.reload()
    expect(theirs).to_have_url(path_is("/login"))
    sign_in(theirs, username)
    expect(theirs.get_by_role("alert")).to_contain_text("disabled")
    expect(theirs).to_have_url(path_is("/login"))

    act_on(page, username, "Enable")
    expect(notice(page)).to_have_text(f"{username} is enabled.")
    expect(row_of(page, username).get_by_text("Disabled", exact=True)).to_have_count(0)

    sign_in(theirs, username)
    expect(theirs).to_have_url(path_is("/"))


def test_make_and_remove_admin_and_the_last_admin_stays(
    server: AppServer, admin: str, make_user: Callable[..., str], page: Page
) -> None:
    username = make_user()
    open_users(page, server, admin)
    search(page, username)
    badge = row_of(page, username).get_by_text("Admin", exact=True)
    expect(badge).to_have_count(0)

    act_on(page, username, "Make Admin")
    expect(notice(page)).to_have_text(f"{username} is now an Admin.")
    expect(badge).to_be_visible()

    act_on(page, username, "Remove Admin")
    expect(notice(page)).to_have_text(f"{username} is no longer an Admin.")
    expect(badge).to_have_count(0)

    active_admins = server.query(
        "SELECT count(*) FROM users JOIN user_roles ON user_roles.user_id = users.id "
        "JOIN roles ON roles.id = user_roles.role_id WHERE roles.name = 'Admin' AND users.is_active"
    )
    assert active_admins == [(1,)]
    search(page, admin)
    act_on(page, admin, "Remove Admin")
    expect(page.get_by_role("alert")).to_contain_text("last active Admin")
    expect(notice(page)).to_have_count(0)
    expect(row_of(page, admin).get_by_text("Admin", exact=True)).to_be_visible()
    page.reload()
    expect(row_of(page, admin).get_by_text("Admin", exact=True)).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Users")
    ).to_be_visible()


def test_delete_asks_first_then_removes_the_user(
    server: AppServer, admin: str, make_user: Callable[..., str], page: Page
) -> None:
    username = make_user()
    open_users(page, server, admin)
    search(page, username)

    act_on(page, username, "Delete")
    confirm = page.get_by_role("alertdialog", name=f"Delete {username}?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(row_of(page, username)).to_be_visible()

    act_on(page, username, "Delete")
    confirm.get_by_role("button", name="Delete").click()
    expect(notice(page)).to_have_text(f"{username} was deleted.")
    expect(row_of(page, username)).to_have_count(0)
    assert server.user_count(f"{username}@example.com") == 0


def test_plain_user_sees_no_admin_pages(
    server: AppServer, make_user: Callable[..., str], page: Page
) -> None:
    username = make_user()
    signed_in(page, server, username)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(nav.get_by_role("link", name="API keys")).to_be_visible()
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)
    # Counts only: no chart and no security events for a plain user.
    expect(page.get_by_role("heading", name="Sign-ins, last 14 days")).to_have_count(0)

    for path, permission in [("/users", "users:read"), ("/audit", "audit:read")]:
        page.goto(f"{server.url}{path}")
        expect(page.get_by_role("alert")).to_contain_text(
            f"You need the {permission} permission to see this page"
        )
        expect(page.get_by_role("button", name="Create user")).to_have_count(0)
        expect(page.get_by_role("table")).to_have_count(0)


@pytest.mark.parametrize(
    ("role", "permission", "refused"),
    [("user", "api_keys:write", "/api/users"), ("admin", "users:read", "/api/audit")],
)
def test_api_key_made_in_the_page_works_until_revoked(
    server: AppServer,
    admin: str,
    make_user: Callable[..., str],
    page: Page,
    role: str,
    permission: str,
    refused: str,
) -> None:
    username = admin if role == "admin" else make_user()
    signed_in(page, server, username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    expect(page).to_have_url(path_is("/api-keys"))
    checkbox = page.get_by_role("checkbox", name=permission)
    expect(checkbox).to_be_visible()
    if role == "user":
        expect(page.get_by_role("checkbox")).to_have_count(1)

    page.get_by_label("Key name").fill("ci")
    checkbox.click()
    page.get_by_role("button", name="Create key").click()

    new_key = page.locator("#new-key")
    expect(new_key).to_have_text(re.compile(r"^ak_[0-9a-f]+_\S+$"))
    key = new_key.inner_text()
    prefix = key.split("_")[1]
    row = page.get_by_role("row").filter(has_text=f"ak_{prefix}_")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="ci", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name=permission, exact=True)).to_be_visible()
    assert key not in row.inner_text()

    headers = [{"Authorization": f"Bearer {key}"}, {"X-API-Key": key}]
    for header in headers:
        me = httpx.get(f"{server.url}/auth/me", headers=header, timeout=10)
        assert me.status_code == 200, me.text
        assert me.json()["username"] == username
        assert me.json()["permissions"] == [permission]
        # Only what the key was given, even for an Admin.
        assert httpx.get(f"{server.url}{refused}", headers=header, timeout=10).status_code == 403

    page.get_by_role("button", name="Done").click()
    expect(new_key).to_have_count(0)
    row.get_by_role("button", name="Revoke ci").click()
    expect(notice(page)).to_have_text("The key was revoked; it no longer works.")
    expect(row).to_have_count(0)
    for header in headers:
        assert httpx.get(f"{server.url}/auth/me", headers=header, timeout=10).status_code == 401


def test_audit_lists_a_failed_sign_in_and_filters_by_kind(
    server: AppServer, admin: str, make_user: Callable[..., str], page: Page
) -> None:
    username = make_user()
    page.goto(f"{server.url}/login")
    sign_in(page, username, "not the password at all")
    expect(page.get_by_role("alert")).to_contain_text("Wrong email, username or password")

    signed_in(page, server, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(path_is("/audit"))
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    failed = page.get_by_role("row").filter(has_text="signin.failed").filter(has_text=username)
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("127.0.0.1")
    expect(failed).to_contain_text("reason=password")

    page.get_by_label("User", exact=True).fill(username)
    kinds = page.locator("tbody tr td:nth-child(2)")
    expect(kinds).to_have_text(["signin.failed", "user.created"])

    # The Kind select has no accessible name of its own (see the report): found by its caption.
    page.get_by_text("Kind", exact=True).locator("xpath=..").get_by_role("combobox").click()
    page.get_by_role("option", name="signin", exact=True).click()
    expect(kinds).to_have_text(["signin.failed"])
    expect(page.get_by_text("1 events · page 1 of 1")).to_be_visible()

    page.get_by_label("User", exact=True).fill("")
    expect(page.locator("tbody tr").filter(has_text="user.created")).to_have_count(0)
    expect(page.locator("tbody tr").filter(has_text="signin.succeeded").first).to_be_visible()
    for kind in kinds.all_inner_texts():
        assert kind.startswith("signin."), kind


def test_dashboard_shows_counts_chart_and_newest_events(
    server: AppServer, admin: str, page: Page
) -> None:
    signed_in(page, server, admin)
    expect(page.get_by_text("Welcome back, Grace Hopper.")).to_be_visible()

    def stat(label: str) -> Locator:
        return page.get_by_text(label, exact=True).locator("xpath=..").get_by_role("heading")

    users, active = server.query("SELECT count(*), sum(is_active) FROM users")[0]
    expect(stat("Users")).to_have_text(str(users))
    expect(stat("Active users")).to_have_text(str(active))
    expect(stat("Signed-in sessions")).to_have_text(re.compile(r"^[1-9]\d*$"))

    expect(page.get_by_role("heading", name="Sign-ins, last 14 days")).to_be_visible()
    expect(page.locator(".recharts-bar-rectangle").first).to_be_visible()

    events = page.get_by_role("heading", name="Newest security events").locator("xpath=../..")
    newest = events.get_by_role("row").first
    expect(newest).to_contain_text("signin.succeeded")
    expect(newest).to_contain_text(admin)
    expect(events.get_by_role("row")).to_have_count(8)
    events.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(path_is("/audit"))
