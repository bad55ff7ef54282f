"""AUTH_MODE=otp: an email or username, then the 6-digit code from a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    AppServer,
    MailServer,
    enter_code,
    masked,
    path_is,
    unique,
    wrong_code,
)


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="otp", **mail_server.env)


@pytest.fixture
def user(server: AppServer) -> tuple[str, str]:
    """A fresh user made with the CLI: (username, email)."""
    username = unique("otp")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Grace Hopper")
    return username, email


def ask_for_code(page: Page, server: AppServer, identifier: str, path: str = "/login") -> None:
    page.goto(f"{server.url}{path}")
    page.get_by_label("Email or username").fill(identifier)
    page.get_by_role("button", name="Continue").click()


def test_login_asks_for_email_or_username_only(server: AppServer, page: Page) -> None:
    page.goto(f"{server.url}/login")
    expect(page.get_by_label("Email or username")).to_be_visible()
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    expect(page.locator("input[type=password]")).to_have_count(0)
    expect(page.get_by_text("Sign in with a code sent to your email")).to_be_visible()


def test_code_from_the_mail_signs_in(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    ask_for_code(page, server, user[1])

    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_text("We sent a sign-in code to")).to_contain_text(masked(user[1]))
    mail = mail_server.inbox.wait_for(user[1])
    assert "sign in" in mail_server.inbox.text(mail)
    assert "expires in 10 minutes" in mail_server.inbox.text(mail)
    enter_code(page, mail_server.inbox.code_for(user[1]))

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Grace Hopper")


def test_wrong_code_counts_down_tries_then_the_right_one_works(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    ask_for_code(page, server, user[1])
    expect(page).to_have_url(path_is("/verify"))
    code = mail_server.inbox.code_for(user[1])

    enter_code(page, wrong_code(code))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("4 tries left")
    expect(page).to_have_url(path_is("/verify"))

    enter_code(page, code)
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_five_wrong_codes_kill_the_code(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    ask_for_code(page, server, user[1])
    expect(page).to_have_url(path_is("/verify"))
    code = mail_server.inbox.code_for(user[1])
    alert = page.get_by_role("alert")
    for left in [4, 3, 2, 1, 0]:
        enter_code(page, wrong_code(code))
        expect(alert).to_contain_text(f"{left} {'try' if left == 1 else 'tries'} left")

    # The right code is no use now (and the identifier waits a minute).
    enter_code(page, code)
    expect(alert).to_have_text(re.compile(r"Too many attempts|can no longer be used"))
    expect(page).to_have_url(path_is("/verify"))


def test_resend_waits_with_a_visible_countdown(
    server: AppServer, page: Page, user: tuple[str, str]
) -> None:
    ask_for_code(page, server, user[1])
    expect(page).to_have_url(path_is("/verify"))

    resend = page.get_by_role("button", name=re.compile(r"^Resend code in \d+ s$"))
    expect(resend).to_be_disabled()
    first = int(re.findall(r"\d+", resend.inner_text())[0])
    assert 50 < first <= 60
    expect(resend).not_to_have_text(f"Resend code in {first} s", timeout=5_000)
    second = int(re.findall(r"\d+", resend.inner_text())[0])
    assert second < first
    expect(resend).to_be_disabled()


def test_unknown_email_looks_the_same_and_gets_no_mail(
    server: AppServer, mail_server: MailServer, page: Page
) -> None:
    nobody = f"{unique('nobody')}@example.com"
    ask_for_code(page, server, nobody)

    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_text("We sent a sign-in code to")).to_contain_text(masked(nobody))
    expect(page.get_by_role("button", name=re.compile(r"^Resend code in \d+ s$"))).to_be_visible()
    # The code (if any) is mailed before /verify opens, so the box is already final.
    assert mail_server.inbox.to(nobody) == []


def test_username_works_and_the_code_goes_to_the_address(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    ask_for_code(page, server, user[0].upper())

    expect(page).to_have_url(path_is("/verify"))
    # Before anything is proved, a username shows neutral words, never the
    # (masked) address: that would tell who has an account.
    expect(page.get_by_text("We sent a sign-in code to")).to_contain_text(
        "the email address of that account"
    )
    enter_code(page, mail_server.inbox.code_for(user[1]))
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text(user[1])


def test_next_survives_the_code_step(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    page.goto(f"{server.url}/profile")
    expect(page).to_have_url(path_is("/login"))
    assert "next=/profile" in page.url
    page.get_by_label("Email or username").fill(user[1])
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(path_is("/verify"))
    enter_code(page, mail_server.inbox.code_for(user[1]))

    expect(page).to_have_url(path_is("/profile"))
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    expect(page.get_by_text("Always on")).to_be_visible()


def test_mail_server_down_says_so_and_a_retry_works(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    with mail_server.down():
        ask_for_code(page, server, user[1])
        expect(page.get_by_role("alert")).to_contain_text("The email could not be sent")
        expect(page).to_have_url(path_is("/login"))
        assert server.query(
            "SELECT count(*) FROM one_time_codes WHERE lower(email) = lower(?)", user[1]
        ) == [(0,)]

    # The mail server is back: the same button, straight away (no cooldown was started).
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(path_is("/verify"))
    enter_code(page, mail_server.inbox.code_for(user[1]))
    expect(page).to_have_url(path_is("/"))
    assert len(mail_server.inbox.to(user[1])) == 1


def test_a_pasted_code_signs_in(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    ask_for_code(page, server, user[1])
    expect(page).to_have_url(path_is("/verify"))
    page.get_by_label("Verification code").fill(mail_server.inbox.code_for(user[1]))
    expect(page).to_have_url(path_is("/"))
