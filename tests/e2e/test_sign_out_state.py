"""Nothing of a signed-out user is left in the tab: the websocket frames are read.

Reflex keeps a tab's state on the server under a token the tab keeps for its
whole life, and sends it again at the next page load. After sign-out, the
frames of the next page must carry nothing of the previous user: not the user
list an Admin had open, not a key shown once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from tests.e2e.conftest import PASSWORD, AppServer, path_is, sign_in, sign_out, unique


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer]) -> AppServer:
    return start_server(AUTH_MODE="password")


@pytest.fixture(scope="module")
def admin(server: AppServer) -> str:
    username = unique("boss")
    server.create_user(username, f"{username}@example.com", full_name="Grace Hopper")
    return username


@pytest.fixture(scope="module")
def colleague(server: AppServer, admin: str) -> str:
    """Another user, whose address shows on /users: its email."""
    email = f"{unique('colleague')}@example.com"
    with httpx.Client(base_url=server.url, timeout=30) as api:
        login = api.post("/auth/login", json={"username": admin, "password": PASSWORD})
        made = api.post(
            "/api/users",
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            json={
                "username": email.split("@")[0],
                "full_name": "Katherine Johnson",
                "email": email,
                "password": PASSWORD,
            },
        )
        assert made.status_code == 201, made.text
    return email


def _frames(page: Page) -> Iterator[list[str]]:
    received: list[str] = []

    def watch(socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: received.append(str(payload)))

    page.on("websocket", watch)
    yield received


def test_a_new_key_is_not_resent_by_a_later_page_load(
    server: AppServer, admin: str, page: Page
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, admin)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{server.url}/api-keys")
    page.get_by_label("Key name").fill("once")
    page.get_by_role("button", name="Create key").click()
    shown = page.locator("#new-key")
    expect(shown).to_have_text(re.compile(r"^ak_[0-9a-f]+_\S+$"))
    key = shown.inner_text()

    frames = next(_frames(page))
    page.reload()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="once")).to_have_count(1)
    assert frames, "no websocket frames were seen"
    assert not [frame for frame in frames if key in frame]


def test_sign_out_leaves_nothing_for_the_next_page_load(
    server: AppServer, admin: str, colleague: str, page: Page
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, admin)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_label("Search").fill(colleague)
    expect(page.get_by_role("cell", name=colleague)).to_be_visible()

    frames = next(_frames(page))
    sign_out(page)
    expect(page).to_have_url(path_is("/login"))
    expect(page.get_by_label("Email or username")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Email or username")).to_be_visible()

    assert frames, "no websocket frames were seen"
    leaked = [f for f in frames if colleague in f or "Grace Hopper" in f or admin in f]
    assert not leaked, leaked[0][:300]


def test_a_reset_link_is_not_resent_by_a_later_page_load(
    server: AppServer, admin: str, colleague: str, page: Page
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, admin)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{server.url}/users")
    page.get_by_label("Search").fill(colleague)
    # Wait for the narrowed table: no menu opens on a row about to go.
    expect(page.locator("tbody tr")).to_have_count(1)
    username = colleague.split("@")[0]
    page.get_by_role("button", name=f"Actions for {username}").click()
    page.get_by_role("menuitem", name="Generate reset link").click()
    shown = page.locator("#reset-url")
    expect(shown).to_have_text(re.compile(r"^http://localhost:\d+/reset-password\?token=\S+$"))
    link = shown.inner_text()

    frames = next(_frames(page))
    page.reload()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    assert frames, "no websocket frames were seen"
    assert not [frame for frame in frames if link.split("token=")[1] in frame]


def test_a_session_ended_elsewhere_leaves_nothing_for_the_next_sign_in(
    server: AppServer, admin: str, colleague: str, page: Page, browser: Browser
) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, admin)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{server.url}/users")
    page.get_by_label("Search").fill(colleague)
    expect(page.get_by_role("cell", name=colleague)).to_be_visible()

    # The same admin, in another browser, signs out every other session.
    other = browser.new_context()
    try:
        theirs = other.new_page()
        theirs.goto(f"{server.url}/login")
        sign_in(theirs, admin)
        expect(theirs.get_by_role("heading", name="Dashboard")).to_be_visible()
        theirs.goto(f"{server.url}/profile")
        theirs.get_by_role("button", name="Sign out other sessions").click()
        expect(theirs.get_by_role("status")).to_be_visible()
    finally:
        other.close()

    # This tab was not signed out by its own hand: the next sign-in here.
    frames = next(_frames(page))
    page.goto(f"{server.url}/login")
    expect(page.get_by_label("Email or username")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Email or username")).to_be_visible()
    assert frames, "no websocket frames were seen"
    assert not [f for f in frames if colleague in f], "the old user list reached the page"
