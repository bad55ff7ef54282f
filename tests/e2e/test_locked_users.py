"""A locked account on /users: the "Locked" badge and the "Unlock" action (AUTH_MODE=password).

A hundred failures in a row would take hours of waits through the real
server, so the lock is written into its database directly, as the
throttle leaves it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, AppServer, path_is, sign_in, unique


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer]) -> AppServer:
    return start_server(AUTH_MODE="password")


def _lock(server: AppServer, user_id: int) -> None:
    path = Path(server.env["DATA_DIR"]) / "admin_app.db"
    moment = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as db:
        db.execute(
            "INSERT INTO rate_limits (key, failures, streak, window_start, updated_at) "
            "VALUES (?, 1, 100, ?, ?)",
            (f"acct:{user_id}", moment, moment),
        )
        db.commit()


def test_an_admin_sees_the_lock_and_lifts_it(server: AppServer, page: Page) -> None:
    admin = unique("boss")
    server.create_user(admin, f"{admin}@example.com", full_name="Grace Hopper")
    username = unique("usr")
    with httpx.Client(base_url=server.url, timeout=30) as api:
        token = api.post("/auth/login", json={"username": admin, "password": PASSWORD})
        api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        made = api.post(
            "/api/users",
            json={
                "username": username,
                "full_name": "Alan Turing",
                "email": f"{username}@example.com",
                "password": PASSWORD,
            },
        )
        assert made.status_code == 201, made.text
        _lock(server, made.json()["id"])
        refused = api.post("/auth/login", json={"username": username, "password": PASSWORD})
        assert refused.status_code == 429

    page.goto(f"{server.url}/login")
    sign_in(page, admin)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{server.url}/users")
    page.get_by_label("Search").fill(username)
    # Wait for the narrowed table: a menu opened on a row about to be redrawn closes.
    expect(page.locator("tbody tr")).to_have_count(1)
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=username, exact=True))
    expect(row.get_by_text("Locked", exact=True)).to_be_visible()
    page.get_by_role("button", name=f"Actions for {username}").click()
    page.get_by_role("menuitem", name="Unlock", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        f"{username} can sign in with a password again."
    )
    expect(row.get_by_text("Locked", exact=True)).to_have_count(0)
    assert server.query("SELECT count(*) FROM audit_events WHERE kind = 'user.unlocked'") == [(1,)]

    page.context.clear_cookies()
    page.goto(f"{server.url}/login")
    sign_in(page, username)
    expect(page).to_have_url(path_is("/"))
