"""/dev/mailbox on a real server: there for a local developer, a 404 for anyone else."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import AppServer, MailServer, path_is, unique


def test_the_mailbox_shows_codes_to_a_local_developer_only(
    start_server: Callable[..., AppServer], page: Page
) -> None:
    server = start_server(AUTH_MODE="otp")  # no SMTP_HOST: console mail
    email = f"{unique('dev')}@corp.local"
    server.create_user(email.split("@")[0], email)

    page.goto(f"{server.url}/login")
    page.get_by_label("Email or username").fill(email)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(path_is("/verify"))

    page.goto(f"{server.url}/dev/mailbox")
    expect(page.locator(".mail").first).to_contain_text(email)

    # Relayed by a proxy on this host: not a local developer.
    relayed = httpx.get(
        f"{server.url}/dev/mailbox", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10
    )
    assert relayed.status_code == 404
    assert email not in relayed.text
    local = httpx.get(f"{server.url}/dev/mailbox", timeout=10, follow_redirects=True)
    assert local.status_code == 200


def test_with_smtp_the_mailbox_does_not_exist(
    start_server: Callable[..., AppServer], mail_server: MailServer
) -> None:
    server = start_server(AUTH_MODE="otp", **mail_server.env)
    for path in ["/dev/mailbox", "/dev/mailbox/"]:
        answer = httpx.get(f"{server.url}{path}", timeout=10, follow_redirects=True)
        assert answer.status_code == 404, path
        assert "Development mailbox" not in answer.text
