"""An extension page with its own permission (examples/reports.py, docs/extending.md).

Every e2e build carries APP_EXTENSIONS=examples.reports. Its `reports:read`
permission is held by Admins only: a plain user sees no entry and is refused
the page, also when typing its address; an Admin sees both, with live data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, AppServer, path_is, sign_in, unique


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer]) -> AppServer:
    return start_server(AUTH_MODE="password")


@pytest.fixture(scope="module")
def admin(server: AppServer) -> str:
    username = unique("boss")
    server.create_user(username, f"{username}@example.com", full_name="Grace Hopper")
    return username


@pytest.fixture(scope="module")
def plain_user(server: AppServer, admin: str) -> Iterator[str]:
    username = unique("usr")
    with httpx.Client(base_url=server.url, timeout=30) as api:
        login = api.post("/auth/login", json={"username": admin, "password": PASSWORD})
        made = api.post(
            "/api/users",
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            json={
                "username": username,
                "full_name": "Alan Turing",
                "email": f"{username}@example.com",
                "password": PASSWORD,
            },
        )
        assert made.status_code == 201, made.text
    yield username


def signed_in(page: Page, server: AppServer, username: str) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, username)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_a_user_without_the_permission_sees_no_entry_and_is_refused(
    server: AppServer, plain_user: str, page: Page
) -> None:
    signed_in(page, server, plain_user)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="API keys")).to_be_visible()
    expect(nav.get_by_role("link", name="Reports")).to_have_count(0)

    page.goto(f"{server.url}/reports")
    expect(page).to_have_url(path_is("/reports"))
    expect(page.get_by_role("alert")).to_contain_text(
        "You need the reports:read permission to see this page"
    )
    expect(page.get_by_role("heading", name="Reports")).to_have_count(0)
    expect(page.locator("#user-total")).to_have_count(0)


def test_a_user_with_the_permission_sees_the_entry_and_the_page(
    server: AppServer, admin: str, plain_user: str, page: Page
) -> None:
    signed_in(page, server, admin)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Reports").click()
    expect(page).to_have_url(path_is("/reports"))
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    # Live data from the page's own on_load, which the guard ran: admin and user.
    total = int(server.query("SELECT count(*) FROM users")[0][0])
    assert total >= 2
    expect(page.locator("#user-total")).to_have_text(str(total))


def test_a_signed_out_visitor_is_sent_to_sign_in(server: AppServer, page: Page) -> None:
    page.goto(f"{server.url}/reports")
    expect(page).to_have_url(path_is("/login"))
    assert "next=/reports" in page.url
