"""Sign-ins of two steps after the first factor: /verify shows each step the service returns.

otp mode: the email code (the first factor), then the authenticator app; the
same after a GitHub sign-in (its callback parks the step for /verify?flow=).
password+otp: with EMAIL_CODE_ALWAYS the email code, then the app; without it
the app alone meets the step, and nothing is mailed.

The server restarts when the mode changes: keep the tests grouped by mode.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    AppServer,
    MailServer,
    enter_code,
    masked,
    path_is,
    sign_in,
    unique,
)
from tests.e2e.seed_factors import add_authenticator
from tests.support.github import GitHubEmail, GitHubProvider, GitHubUser

APP_HEADING = "Enter the code from your authenticator app"
TRUST = "Trust this browser for 30 days"
_github_ids = count(5_000_001)

Mode = Callable[..., AppServer]


@pytest.fixture(scope="module")
def app_in(
    start_server: Callable[..., AppServer],
    mail_server: MailServer,
    github_server: GitHubProvider,
) -> Mode:
    """The module's server in AUTH_MODE `mode`; restarted only when the mode changes."""
    current: dict[tuple[str, bool], AppServer] = {}

    def in_mode(mode: str, *, email_code_always: bool = False) -> AppServer:
        key = (mode, email_code_always)
        if key not in current:
            current.clear()
            current[key] = start_server(
                AUTH_MODE=mode,
                EMAIL_CODE_ALWAYS=str(email_code_always).lower(),
                **mail_server.env,
                **github_server.env(),
            )
        return current[key]

    return in_mode


def new_user(server: AppServer) -> tuple[str, str]:
    username = unique("steps")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Barbara Liskov")
    return username, email


def app_step(page: Page) -> None:
    """The authenticator app's step: its own heading, its field focused, trust offered."""
    expect(page.get_by_role("heading", name=APP_HEADING)).to_be_visible()
    expect(page.get_by_label("Authenticator code")).to_be_focused()
    expect(page.get_by_role("checkbox", name=TRUST)).to_be_visible()
    expect(page.get_by_role("button", name="Use a recovery code")).to_be_visible()


def type_app_code(page: Page, code: str) -> None:
    page.get_by_label("Authenticator code").press_sequentially(code, delay=60)


def test_otp_mode_asks_the_email_code_then_the_app(
    app_in: Mode, mail_server: MailServer, page: Page
) -> None:
    server = app_in("otp")
    username, email = new_user(server)
    app = add_authenticator(server, username)

    page.goto(f"{server.url}/login")
    page.get_by_label("Email or username").fill(email)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_text("We sent a sign-in code to")).to_contain_text(masked(email))
    # The email code is the first factor here: no trust, no other way yet.
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_role("button", name="Use a recovery code")).to_have_count(0)
    enter_code(page, mail_server.inbox.code_for(email))

    expect(page).to_have_url(path_is("/verify"))
    app_step(page)
    # The mailbox is proved already: the email code is no way of this step.
    expect(page.get_by_role("button", name="Email me a code instead")).to_have_count(0)
    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Barbara Liskov")
    assert len(mail_server.inbox.to(email)) == 1


def test_after_github_the_parked_factor_step_is_shown(
    app_in: Mode, github: GitHubProvider, mail_server: MailServer, page: Page
) -> None:
    server = app_in("otp")
    username, email = new_user(server)
    app = add_authenticator(server, username)
    github.user = GitHubUser(
        id=next(_github_ids),
        login=unique("ghsteps"),
        name="Barbara on GitHub",
        emails=(GitHubEmail(email=email, primary=True, verified=True),),
    )

    page.goto(f"{server.url}/login")
    href = page.get_by_role("link", name="Continue with GitHub").get_attribute("href")
    page.goto(f"{server.url}{href}")

    expect(page).to_have_url(path_is("/verify"))
    assert "flow=" in page.url
    app_step(page)
    # otp mode keeps the email code as one of the ways; it is mailed only when picked.
    page.get_by_role("button", name="Email me a code instead").click()
    expect(page.get_by_label("Verification code")).to_be_focused()
    assert mail_server.inbox.code_for(email)
    page.get_by_role("button", name="Use your authenticator app").click()
    expect(page.get_by_label("Authenticator code")).to_be_focused()
    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))


def test_password_otp_with_email_code_always_asks_both(
    app_in: Mode, mail_server: MailServer, page: Page
) -> None:
    server = app_in("password+otp", email_code_always=True)
    username, email = new_user(server)
    app = add_authenticator(server, username)

    page.goto(f"{server.url}/login")
    sign_in(page, username)
    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_text("To finish signing in, enter the code we sent to")).to_contain_text(
        masked(email)
    )
    trust = page.get_by_role("checkbox", name=TRUST)
    trust.check()
    enter_code(page, mail_server.inbox.code_for(email))

    expect(page).to_have_url(path_is("/verify"))
    app_step(page)
    # The tick carries over to the step after.
    expect(page.get_by_role("checkbox", name=TRUST)).to_be_checked()
    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))


def test_password_otp_takes_the_app_instead_of_the_email_code(
    app_in: Mode, mail_server: MailServer, page: Page
) -> None:
    server = app_in("password+otp")
    username, email = new_user(server)
    app = add_authenticator(server, username)

    page.goto(f"{server.url}/login")
    sign_in(page, username)
    expect(page).to_have_url(path_is("/verify"))
    app_step(page)
    expect(page.get_by_role("button", name="Email me a code instead")).to_be_visible()
    type_app_code(page, app.code())
    expect(page).to_have_url(path_is("/"))
    assert mail_server.inbox.to(email) == []
