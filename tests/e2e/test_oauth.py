"""Sign-in with GitHub, Google and Microsoft in the browser, against local providers (SPEC 4).

GitHub is tests/support/github.py (its authorize step consents at once);
Google and Microsoft are one oidc-provider-mock (tests/support/oidc.py), whose
authorize page is filled in and submitted like a person would. Both start
before the app, so their URLs go into its environment.

The last tests restart the module's server (sign-up off, AUTH_MODE=otp), so
they must stay last in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import count

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.e2e.conftest import (
    AppServer,
    MailServer,
    enter_code,
    masked,
    path_is,
    sign_in,
    unique,
)
from tests.support.github import GitHubEmail, GitHubProvider, GitHubUser
from tests.support.oidc import OidcProvider
from tests.support.providers import providers_env

_github_ids = count(4_000_001)
PROVIDERS = ("GitHub", "Google", "Microsoft")
STARTS_GITHUB = re.compile(r"/auth/oauth/github/login\?")


@pytest.fixture(scope="module")
def server(
    start_server: Callable[..., AppServer],
    github_server: GitHubProvider,
    oidc_server: OidcProvider,
) -> AppServer:
    return start_server(AUTH_MODE="password", **providers_env(github_server, oidc_server))


def github_user(name: str = "Mona Lisa Octocat", *, verified: bool = True) -> GitHubUser:
    login = unique("octo")
    return GitHubUser(
        id=next(_github_ids),
        login=login,
        name=name,
        emails=(GitHubEmail(email=f"{login}@example.com", primary=True, verified=verified),),
    )


def email_of(user: GitHubUser) -> str:
    return user.emails[0].email


def continue_with(page: Page, server: AppServer, provider: str) -> None:
    """Follow the provider's link on /login with a full page load, as a plain link does.

    Not a click: the link is compiled to a client-side route, which ends on the
    single-page app's 404 instead of reaching the backend route.
    """
    page.goto(f"{server.url}/login")
    link = page.get_by_role("link", name=f"Continue with {provider}")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href is not None and href.startswith(f"/auth/oauth/{provider.lower()}/login?")
    page.goto(f"{server.url}{href}")


def authorize_at_oidc(page: Page, oidc: OidcProvider, sub: str) -> None:
    """On the provider's own page: type the user's `sub` and consent."""
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc.url)}/oauth2/authorize\?"))
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def token_cookie(context: BrowserContext) -> list[dict[str, object]]:
    return [dict(c) for c in context.cookies() if c["name"] == "token"]


def users_total(server: AppServer) -> int:
    return int(server.query("SELECT count(*) FROM users")[0][0])


def refused_with(page: Page, text: str) -> None:
    expect(page).to_have_url(path_is("/login"))
    expect(page.get_by_role("alert")).to_contain_text(text)
    expect(page.get_by_label("Email or username")).to_be_visible()


def test_login_offers_every_configured_provider_and_github_signs_in(
    server: AppServer, github: GitHubProvider, context: BrowserContext, page: Page
) -> None:
    page.goto(f"{server.url}/login")
    expect(page.get_by_text("or", exact=True)).to_be_visible()
    for provider in PROVIDERS:
        expect(page.get_by_role("button", name=f"Continue with {provider}")).to_be_visible()

    github.user = user = github_user("Mona Lisa Octocat")
    continue_with(page, server, "GitHub")

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Mona Lisa Octocat")
    (cookie,) = token_cookie(context)
    assert cookie["httpOnly"] is True
    assert page.evaluate("document.cookie") == ""
    assert server.user_count(email_of(user)) == 1


def test_clicking_continue_with_github_reaches_github(
    server: AppServer, github: GitHubProvider, page: Page
) -> None:
    github.user = github_user("Click Octocat")
    page.goto(f"{server.url}/login")
    page.get_by_role("button", name="Continue with GitHub").click()

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Click Octocat")


def test_second_github_sign_in_reuses_the_account(
    server: AppServer, github: GitHubProvider, browser: Browser, page: Page
) -> None:
    github.user = user = github_user("Hubot Returns")
    continue_with(page, server, "GitHub")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    ((username,),) = server.query("SELECT username FROM users WHERE email = ?", email_of(user))
    total = users_total(server)

    fresh = browser.new_context()
    try:
        again = fresh.new_page()
        continue_with(again, server, "GitHub")
        expect(again.get_by_role("heading", name="Dashboard")).to_be_visible()
        expect(again.get_by_role("button", name="User menu")).to_contain_text("Hubot Returns")
    finally:
        fresh.close()

    assert users_total(server) == total
    assert server.query("SELECT username FROM users WHERE email = ?", email_of(user)) == [
        (username,)
    ]


def test_microsoft_email_without_xms_edov_opens_no_existing_account(
    server: AppServer, oidc: OidcProvider, context: BrowserContext, page: Page
) -> None:
    """nOAuth (CVE-2024-21632): a tenant can put anyone's address in `email`."""
    username = unique("victim")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Katherine Johnson")
    sub = unique("attacker-")
    oidc.set_user(sub, {"email": email, "name": "Mallory"})
    total = users_total(server)

    continue_with(page, server, "Microsoft")
    authorize_at_oidc(page, oidc, sub)

    refused_with(page, "An account with this email already exists")
    expect(page.get_by_role("alert")).to_contain_text("signs in with a password")
    assert token_cookie(context) == []
    assert users_total(server) == total
    assert server.user_count(email) == 1
    assert server.query("SELECT count(*) FROM oauth_accounts WHERE subject = ?", sub) == [(0,)]
    # The real owner still gets in with the password.
    sign_in(page, username)
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Katherine Johnson")


def test_github_without_a_verified_primary_email_creates_nobody(
    server: AppServer, github: GitHubProvider, context: BrowserContext, page: Page
) -> None:
    github.user = user = github_user("Unverified Octocat", verified=False)
    total = users_total(server)

    continue_with(page, server, "GitHub")

    refused_with(page, "GitHub did not share a confirmed email address")
    assert token_cookie(context) == []
    assert users_total(server) == total
    assert server.user_count(email_of(user)) == 0


def test_forged_state_at_the_callback_is_refused(
    server: AppServer, github: GitHubProvider, context: BrowserContext, page: Page
) -> None:
    github.user = github_user("Forged State")
    sent_to_github: list[str] = []

    def stop_at_github(route: Route) -> None:
        # The app's answer is taken (its state cookie lands in the browser), but the
        # person stays at GitHub's consent page: a redirect is not routed by Playwright.
        answer = route.fetch(max_redirects=0)
        assert answer.status == 302
        sent_to_github.append(answer.headers["location"])
        route.fulfill(status=200, content_type="text/html", body="<h1>GitHub consent</h1>")

    page.route(STARTS_GITHUB, stop_at_github)
    continue_with(page, server, "GitHub")
    expect(page.get_by_role("heading", name="GitHub consent")).to_be_visible()
    page.unroute(STARTS_GITHUB)
    (authorize_url,) = sent_to_github
    assert authorize_url.startswith(github.authorize_url)
    assert "state=" in authorize_url
    assert [c["name"] for c in context.cookies()] == ["oauth_state"]

    page.goto(f"{server.url}/auth/oauth/github/callback?code=x&state=forged")

    refused_with(page, "That sign-in link was not valid any more")
    assert token_cookie(context) == []
    assert github.token_requests == []


def test_google_sign_up_links_google_and_keeps_it_as_the_last_way_in(
    server: AppServer, oidc: OidcProvider, context: BrowserContext, page: Page
) -> None:
    sub = unique("google-")
    email = f"{unique('dorothy')}@example.com"
    oidc.set_user(sub, {"email": email, "email_verified": True, "name": "Dorothy Vaughan"})

    continue_with(page, server, "Google")
    authorize_at_oidc(page, oidc, sub)

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Dorothy Vaughan")
    assert server.user_count(email) == 1
    assert len(token_cookie(context)) == 1

    page.goto(f"{server.url}/profile")
    linked = page.get_by_role("heading", name="Linked sign-in providers").locator("..")
    expect(linked.get_by_text("Google", exact=True)).to_be_visible()
    linked.get_by_role("button", name="Unlink Google").click()

    expect(linked.get_by_role("alert")).to_contain_text("Keep at least one way to sign in")
    expect(linked.get_by_text("Google", exact=True)).to_be_visible()
    assert server.query(
        "SELECT o.provider FROM oauth_accounts o JOIN users u ON u.id = o.user_id"
        " WHERE u.email = ?",
        email,
    ) == [("google",)]


# The module's server is replaced from here on: keep these last.


@pytest.fixture(scope="module")
def otp_server(
    start_server: Callable[..., AppServer],
    github_server: GitHubProvider,
    oidc_server: OidcProvider,
    mail_server: MailServer,
) -> AppServer:
    """Codes by mail and no self sign-up: both only matter once the provider has answered."""
    return start_server(
        AUTH_MODE="otp",
        SIGNUP_ENABLED="false",
        **mail_server.env,
        **providers_env(github_server, oidc_server),
    )


def test_unknown_github_user_with_sign_up_off_gets_no_account(
    otp_server: AppServer, github: GitHubProvider, context: BrowserContext, page: Page
) -> None:
    github.user = user = github_user("Walk In")

    continue_with(page, otp_server, "GitHub")

    refused_with(page, "There is no account for this GitHub sign-in, and sign-up is turned off")
    assert otp_server.user_count(email_of(user)) == 0
    assert token_cookie(context) == []


def test_github_replaces_the_password_not_the_mailed_code(
    otp_server: AppServer,
    github: GitHubProvider,
    mail_server: MailServer,
    context: BrowserContext,
    page: Page,
) -> None:
    username = unique("grace")
    email = f"{username}@example.com"
    otp_server.create_user(username, email, full_name="Grace Hopper")
    github.user = GitHubUser(
        id=next(_github_ids),
        login=unique("ghgrace"),
        name="Grace on GitHub",
        emails=(GitHubEmail(email=email, primary=True, verified=True),),
    )

    continue_with(page, otp_server, "GitHub")

    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_text("To finish signing in, enter the code we sent to")).to_contain_text(
        masked(email)
    )
    assert token_cookie(context) == []
    enter_code(page, mail_server.inbox.code_for(email))

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("button", name="User menu")).to_contain_text("Grace Hopper")
    assert len(token_cookie(context)) == 1
    assert otp_server.user_count(email) == 1
