"""OAuth sign-in end to end (SPEC 4): the real API, driven like a browser, against local providers.

GitHub is tests/support/github.py; Google and Microsoft are oidc-provider-mock
(tests/support/oidc.py), a real OpenID Connect provider that signs ID tokens
and carries the nonce, with PKCE checked in front of it. The browser's part
at the provider (load the consent page, submit it) is done with httpx; the
app's part goes through a TestClient, which keeps the `oauth_state` cookie
between the start and the callback as a browser does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app import hot_reads
from admin_app.api.app import build_api
from admin_app.api.routes import oauth as oauth_routes
from admin_app.db import get_engine
from admin_app.models import AuditEvent, AuthSession, OAuthAccount, User
from admin_app.services.access import browser_sessions
from admin_app.settings import get_settings
from tests.conftest import CHEAP_ARGON2, TEST_SECRET
from tests.support.db import count_rows
from tests.support.github import GitHubEmail, GitHubProvider, GitHubUser
from tests.support.oidc import OidcProvider, s256
from tests.support.postgres import free_port
from tests.support.providers import providers_env
from tests.support.smtp import SmtpServer

APP_URL = "http://testserver"  # the TestClient's own origin: callbacks are built from it
MakeApp = Callable[..., TestClient]
MakeUser = Callable[..., User]

# Variables the app reads that a developer's shell might carry into the run.
_CLEARED = (
    "APP_ENV",
    "REDIS_URL",
    "TRUSTED_PROXIES",
    "SESSION_COOKIE_MAX_AGE",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "MICROSOFT_TENANT",
    *(f"{p}_CLIENT_{k}" for p in ("GOOGLE", "GITHUB", "MICROSOFT") for k in ("ID", "SECRET")),
    "GOOGLE_SERVER_METADATA_URL",
    "MICROSOFT_SERVER_METADATA_URL",
    "GITHUB_AUTHORIZE_URL",
    "GITHUB_TOKEN_URL",
    "GITHUB_API_URL",
)


def _forget_caches() -> None:
    """Drop the process-wide settings, engines and Authlib clients of the last configuration."""
    get_settings.cache_clear()
    get_engine.cache_clear()
    hot_reads.forget()
    oauth_routes._registry.clear()


@pytest.fixture
def make_app(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    github: GitHubProvider,
    oidc: OidcProvider,
) -> Iterator[MakeApp]:
    """`make_app(mode="password", signup=True, smtp=None, **ENV)`: a browser on a fresh API.

    Google, GitHub and Microsoft are all configured and point at the local
    providers unless ENV says otherwise.
    """
    clients: list[TestClient] = []
    engines: list[Engine] = []

    def build(
        mode: str = "password", signup: bool = True, smtp: SmtpServer | None = None, **env: Any
    ) -> TestClient:
        for name in _CLEARED:
            monkeypatch.delenv(name, raising=False)
        values = {
            "APP_URL": APP_URL,
            "DATA_DIR": str(tmp_path / "data"),
            "JWT_SECRET": TEST_SECRET,
            "DATABASE_URL": database_url,
            "AUTH_MODE": mode,
            "SIGNUP_ENABLED": "true" if signup else "false",
            **providers_env(github, oidc),
            **CHEAP_ARGON2,
        }
        if smtp is not None:
            values.update(smtp.env)
        values.update({name: str(value) for name, value in env.items()})
        for name, value in values.items():
            if value:
                monkeypatch.setenv(name, value)
            else:
                monkeypatch.delenv(name, raising=False)
        _forget_caches()
        engines.append(get_engine())
        client = TestClient(build_api(), base_url=APP_URL, follow_redirects=False)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
    _forget_caches()
    for engine in engines:
        engine.dispose()


def _browser(client: TestClient, *, raise_server_exceptions: bool = True) -> TestClient:
    """Another browser on the same app (its own cookies)."""
    return TestClient(
        client.app,
        base_url=APP_URL,
        follow_redirects=False,
        raise_server_exceptions=raise_server_exceptions,
    )


# Driving the flow.


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _start(client: TestClient, provider: str, next_path: str = "/profile") -> str:
    """GET the app's login route; returns the provider's authorize URL it redirects to."""
    answer = client.get(f"/auth/oauth/{provider}/login", params={"next": next_path})
    assert answer.status_code == 302, answer.text
    state_cookie = _set_cookie(answer, "oauth_state")
    assert state_cookie is not None and "httponly" in state_cookie.lower()
    return str(answer.headers["location"])


def _callback(client: TestClient, provider: str, url: str) -> httpx.Response:
    assert url.startswith(f"{APP_URL}/auth/oauth/{provider}/callback?"), url
    return client.get(url)


def _github_sign_in(
    client: TestClient, github: GitHubProvider, user: GitHubUser, next_path: str = "/profile"
) -> httpx.Response:
    github.user = user
    return _callback(client, "github", github.authorize(_start(client, "github", next_path)))


def _oidc_sign_in(
    client: TestClient,
    oidc: OidcProvider,
    provider: str,
    sub: str,
    claims: dict[str, object],
    next_path: str = "/profile",
) -> httpx.Response:
    oidc.set_user(sub, claims)
    authorize_url = _start(client, provider, next_path)
    return _callback(client, provider, oidc.authorize(authorize_url, sub=sub))


# What came back.


def _set_cookie(answer: httpx.Response, name: str) -> str | None:
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    return None


def _signed_in(answer: httpx.Response, engine: Engine, next_path: str = "/profile") -> int:
    """The id of the user the answer's `token` cookie signs in, after checking the cookie."""
    assert answer.status_code == 303, (answer.status_code, answer.headers.get("location"))
    assert answer.headers["location"] == next_path
    header = _set_cookie(answer, "token")
    assert header is not None, answer.headers.get_list("set-cookie")
    value, *attributes = [part.strip() for part in header.split(";")]
    flags = {a.split("=")[0].lower(): a.partition("=")[2].lower() for a in attributes}
    assert "httponly" in flags
    assert flags.get("samesite") == "lax"
    assert flags.get("path") == "/"
    assert "secure" not in flags  # served over http here
    assert "max-age" not in flags and "expires" not in flags  # a browser-session cookie
    with Session(engine) as fresh:
        user = browser_sessions.current_user(
            fresh, settings=get_settings(), token=value.partition("=")[2]
        )
    assert user is not None, "the cookie does not open a live session"
    return user.user_id


def _refused(answer: httpx.Response, error: str, **extra: str) -> dict[str, str]:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert urlsplit(location).path == "/login", location
    query = _query(location)
    assert query["error"] == error, location
    for name, value in extra.items():
        assert query.get(name) == value, (name, location)
    assert _set_cookie(answer, "token") is None
    return query


def _links(engine: Engine) -> list[tuple[str, str, int]]:
    with Session(engine) as fresh:
        rows = fresh.exec(select(OAuthAccount).order_by(col(OAuthAccount.id))).all()
        return [(r.provider, r.subject, r.user_id) for r in rows]


def _user(engine: Engine, user_id: int) -> User:
    with Session(engine) as fresh:
        user = fresh.get(User, user_id)
        assert user is not None
        return user


MONA = GitHubUser(
    id=583231,
    login="octocat",
    name="Mona Lisa Octocat",
    emails=(
        GitHubEmail(email="old@example.com", verified=True),
        GitHubEmail(email="Mona@Example.com", primary=True, verified=True),
    ),
)


# GitHub


def test_github_first_sign_in_creates_the_account_and_the_next_one_reuses_it(
    make_app: MakeApp, github: GitHubProvider, engine: Engine
) -> None:
    client = make_app()
    user_id = _signed_in(_github_sign_in(client, github, MONA), engine)
    user = _user(engine, user_id)
    assert (user.username, user.full_name, user.email) == (
        "octocat",
        "Mona Lisa Octocat",
        "mona@example.com",
    )
    assert user.password_hash is None
    assert _links(engine) == [("github", "583231", user_id)]
    with Session(engine) as fresh:
        [event] = fresh.exec(select(AuditEvent).where(AuditEvent.kind == "signin.succeeded")).all()
    assert event.user_id == user_id and json.loads(event.detail) == {"method": "oauth:github"}

    [authorize] = github.authorize_requests
    assert authorize["client_id"] == github.client_id
    assert authorize["redirect_uri"] == f"{APP_URL}/auth/oauth/github/callback"
    assert authorize["scope"] == "read:user user:email"
    assert len(authorize["state"]) >= 20
    assert authorize["code_challenge_method"] == "S256"
    [token] = github.token_requests
    assert s256(token["code_verifier"]) == authorize["code_challenge"]
    assert token["redirect_uri"] == authorize["redirect_uri"]

    # A later sign-in, from another browser, with a changed primary email.
    moved = GitHubUser(
        id=583231,
        login="octocat",
        name="Mona",
        emails=(GitHubEmail(email="mona@new.example", primary=True),),
    )
    again = _signed_in(_github_sign_in(_browser(client), github, moved, "/users"), engine, "/users")
    assert again == user_id
    assert count_rows(engine, User) == 1
    assert _links(engine) == [("github", "583231", user_id)]
    assert count_rows(engine, AuthSession) == 2
    assert authorize["state"] != github.authorize_requests[1]["state"]


def test_github_with_an_unverified_primary_email_is_refused(
    make_app: MakeApp, github: GitHubProvider, engine: Engine
) -> None:
    client = make_app()
    user = GitHubUser(
        id=42,
        login="sneaky",
        emails=(
            GitHubEmail(email="sneaky@example.com", primary=True, verified=False),
            GitHubEmail(email="other@example.com", verified=True),
        ),
    )
    _refused(
        _github_sign_in(client, github, user),
        "email_not_verified",
        next="/profile",
        provider="github",
    )
    assert count_rows(engine, User) == 0
    assert _links(engine) == []


def test_without_sign_up_an_unknown_github_user_is_refused(
    make_app: MakeApp, github: GitHubProvider, engine: Engine
) -> None:
    client = make_app(signup=False)
    _refused(_github_sign_in(client, github, MONA), "signup_disabled", provider="github")
    assert count_rows(engine, User) == 0


def test_without_sign_up_a_verified_email_still_gets_its_account(
    make_app: MakeApp, github: GitHubProvider, engine: Engine, make_user: MakeUser
) -> None:
    existing = make_user(email="mona@example.com")
    client = make_app(signup=False)
    assert _signed_in(_github_sign_in(client, github, MONA), engine) == existing.id
    assert _links(engine) == [("github", "583231", existing.id)]


def test_a_disabled_account_is_refused(
    make_app: MakeApp, github: GitHubProvider, engine: Engine, make_user: MakeUser
) -> None:
    make_user(email="mona@example.com", active=False)
    client = make_app()
    _refused(_github_sign_in(client, github, MONA), "account_disabled", next="/profile")
    assert _links(engine) == []
    assert count_rows(engine, AuthSession) == 0


def test_next_stays_on_this_site(make_app: MakeApp, github: GitHubProvider, engine: Engine) -> None:
    client = make_app()
    answer = _github_sign_in(client, github, MONA, next_path="https://evil.example/")
    _signed_in(answer, engine, next_path="/")


# Microsoft: the nOAuth guard


@pytest.mark.parametrize(
    "vouching",
    [{}, {"email_verified": True}, {"xms_edov": False}],
    ids=["bare-email", "email_verified-is-not-enough", "xms_edov-false"],
)
def test_microsoft_email_without_xms_edov_never_opens_an_existing_account(
    make_app: MakeApp,
    oidc: OidcProvider,
    engine: Engine,
    make_user: MakeUser,
    vouching: dict[str, object],
) -> None:
    victim = make_user(email="victim@example.com")
    client = make_app()
    claims = {"email": "Victim@Example.com", "name": "Mallory", **vouching}
    answer = _oidc_sign_in(client, oidc, "microsoft", "attacker-tenant-user", claims)
    _refused(answer, "account_exists", next="/profile", ways="password", provider="microsoft")
    assert _links(engine) == []
    assert count_rows(engine, User) == 1
    assert count_rows(engine, AuthSession) == 0
    assert _user(engine, victim.id or 0).email == "victim@example.com"


def test_microsoft_with_xms_edov_links_the_account_and_signs_in(
    make_app: MakeApp, oidc: OidcProvider, engine: Engine, make_user: MakeUser
) -> None:
    owner = make_user(email="owner@example.com")
    client = make_app()
    claims = {"email": "owner@example.com", "xms_edov": True, "name": "Owner"}
    user_id = _signed_in(_oidc_sign_in(client, oidc, "microsoft", "ms-owner", claims), engine)
    assert user_id == owner.id
    assert _links(engine) == [("microsoft", "ms-owner", owner.id)]
    assert count_rows(engine, User) == 1


# Google, and what OpenID Connect checks


def test_google_with_a_verified_email_signs_in(
    make_app: MakeApp, oidc: OidcProvider, engine: Engine
) -> None:
    client = make_app()
    claims = {"email": "ada@example.com", "email_verified": True, "name": "Ada Lovelace"}
    user_id = _signed_in(_oidc_sign_in(client, oidc, "google", "google-ada", claims), engine)
    user = _user(engine, user_id)
    assert (user.username, user.full_name, user.email) == ("ada", "Ada Lovelace", "ada@example.com")
    assert _links(engine) == [("google", "google-ada", user_id)]

    [authorize] = oidc.authorize_requests
    assert authorize["client_id"] == "google-client"
    assert authorize["redirect_uri"] == f"{APP_URL}/auth/oauth/google/callback"
    assert authorize["response_type"] == "code"
    assert set(authorize["scope"].split()) == {"openid", "email", "profile"}
    assert len(authorize["state"]) >= 20
    assert len(authorize["nonce"]) >= 20
    assert authorize["code_challenge_method"] == "S256"
    [token] = oidc.token_requests
    assert s256(token["code_verifier"]) == authorize["code_challenge"]


def test_google_with_an_unverified_email_does_not_open_an_existing_account(
    make_app: MakeApp, oidc: OidcProvider, engine: Engine, make_user: MakeUser
) -> None:
    make_user(email="ada@example.com")
    client = make_app()
    claims = {"email": "ada@example.com", "email_verified": False}
    answer = _oidc_sign_in(client, oidc, "google", "google-not-ada", claims)
    _refused(answer, "account_exists", ways="password", provider="google")
    assert _links(engine) == []


def test_an_id_token_with_another_nonce_signs_no_one_in(
    make_app: MakeApp, oidc: OidcProvider, engine: Engine
) -> None:
    # Only that no one gets in: the app answers this with a 500 today, not with a
    # redirect to /login, which is a bug of its own (reported).
    client = _browser(make_app(), raise_server_exceptions=False)
    oidc.swap_next_nonce("a-nonce-the-app-never-sent")
    claims = {"email": "ada@example.com", "email_verified": True}
    answer = _oidc_sign_in(client, oidc, "google", "google-ada", claims)
    if answer.status_code == 303:
        assert urlsplit(answer.headers["location"]).path == "/login"
    else:
        assert answer.status_code == 500
    assert _set_cookie(answer, "token") is None
    # the code was exchanged (PKCE passed): only the nonce was wrong
    assert len(oidc.token_requests) == 1
    assert count_rows(engine, User) == 0
    assert count_rows(engine, AuthSession) == 0
    assert _links(engine) == []


@pytest.mark.parametrize("provider", ["github", "google"])
def test_a_code_from_another_browser_fails_pkce(
    make_app: MakeApp,
    github: GitHubProvider,
    oidc: OidcProvider,
    engine: Engine,
    provider: str,
) -> None:
    """Code injection: the attacker's code, replayed with the victim's own state."""
    victim = make_app()
    attacker = _browser(victim)
    if provider == "github":
        github.user = MONA
        attacker_back = github.authorize(_start(attacker, "github"))
        victim_back = github.authorize(_start(victim, "github"))
    else:
        oidc.set_user("attacker", {"email": "attacker@example.com", "email_verified": True})
        attacker_back = oidc.authorize(_start(attacker, "google"), sub="attacker")
        victim_back = oidc.authorize(_start(victim, "google"), sub="attacker")
    injected = victim_back.replace(
        f"code={_query(victim_back)['code']}", f"code={_query(attacker_back)['code']}"
    )
    assert _query(injected)["state"] == _query(victim_back)["state"]
    _refused(_callback(victim, provider, injected), "oauth_unavailable", next="/profile")
    assert count_rows(engine, User) == 0
    assert count_rows(engine, AuthSession) == 0


# state, denial, a provider that is down


def test_a_forged_or_foreign_state_is_refused(
    make_app: MakeApp, github: GitHubProvider, engine: Engine
) -> None:
    client = make_app()
    github.user = MONA
    back = github.authorize(_start(client, "github"))
    state = _query(back)["state"]
    forged = back.replace(f"state={state}", "state=forged-by-someone")
    _refused(_callback(client, "github", forged), "oauth_state", next="/profile")
    # the same callback in a browser that never started a flow (login CSRF)
    _refused(_callback(_browser(client), "github", back), "oauth_state")
    assert count_rows(engine, User) == 0
    assert github.token_requests == []  # the code was never spent


def test_a_callback_cannot_be_replayed(
    make_app: MakeApp, github: GitHubProvider, engine: Engine
) -> None:
    client = make_app()
    github.user = MONA
    back = github.authorize(_start(client, "github"))
    _signed_in(_callback(client, "github", back), engine)
    _refused(_callback(client, "github", back), "oauth_state")
    assert count_rows(engine, AuthSession) == 1


def test_github_denied_goes_back_to_login(
    make_app: MakeApp, github: GitHubProvider, engine: Engine
) -> None:
    client = make_app()
    github.deny = True
    back = github.authorize(_start(client, "github"))
    assert _query(back)["error"] == "access_denied"
    _refused(_callback(client, "github", back), "oauth_denied", next="/profile")
    assert github.token_requests == []
    assert count_rows(engine, User) == 0


def test_denied_at_the_openid_provider_goes_back_to_login(
    make_app: MakeApp, oidc: OidcProvider, engine: Engine
) -> None:
    client = make_app()
    back = oidc.authorize(_start(client, "microsoft"), deny=True)
    assert _query(back)["error"] == "access_denied"
    _refused(_callback(client, "microsoft", back), "oauth_denied", next="/profile")
    assert oidc.token_requests == []
    assert count_rows(engine, User) == 0


def test_an_openid_provider_that_is_down_fails_quickly(make_app: MakeApp) -> None:
    closed = f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"
    client = make_app(GOOGLE_SERVER_METADATA_URL=closed)
    began = time.monotonic()
    answer = client.get("/auth/oauth/google/login", params={"next": "/profile"})
    assert time.monotonic() - began < 3
    _refused(answer, "oauth_unavailable", next="/profile")


def test_a_token_endpoint_that_is_down_fails_quickly(
    make_app: MakeApp, github: GitHubProvider, engine: Engine
) -> None:
    client = make_app(GITHUB_TOKEN_URL=f"http://127.0.0.1:{free_port()}/login/oauth/access_token")
    github.user = MONA
    back = github.authorize(_start(client, "github"))
    began = time.monotonic()
    answer = _callback(client, "github", back)
    assert time.monotonic() - began < 3
    _refused(answer, "oauth_unavailable", next="/profile")
    assert count_rows(engine, User) == 0


# The code step: a provider replaces the password, not the code.


@pytest.mark.parametrize("mode", ["otp", "password+otp"])
def test_in_code_modes_the_callback_goes_to_the_code_step(
    make_app: MakeApp,
    github: GitHubProvider,
    engine: Engine,
    smtp_server: SmtpServer,
    mode: str,
) -> None:
    client = make_app(mode=mode, smtp=smtp_server)
    answer = _github_sign_in(client, github, MONA)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert urlsplit(location).path == "/verify"
    query = _query(location)
    assert query["next"] == "/profile" and query["flow"]
    assert _set_cookie(answer, "token") is None
    assert count_rows(engine, AuthSession) == 0

    code = smtp_server.inbox.code_for("mona@example.com")
    finished = client.post("/auth/verify-otp", json={"otp_session_id": query["flow"], "code": code})
    assert finished.status_code == 200, finished.text
    assert finished.json()["status"] == "ok"
    me = client.get(
        "/auth/me", headers={"Authorization": f"Bearer {finished.json()['access_token']}"}
    )
    assert me.json()["email"] == "mona@example.com"


def test_a_user_with_mfa_gets_the_code_step_in_password_mode(
    make_app: MakeApp,
    oidc: OidcProvider,
    engine: Engine,
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    make_user(email="careful@example.com", mfa=True)
    client = make_app(smtp=smtp_server)
    claims = {"email": "careful@example.com", "email_verified": True}
    answer = _oidc_sign_in(client, oidc, "google", "google-careful", claims)
    assert answer.status_code == 303, answer.text
    assert urlsplit(answer.headers["location"]).path == "/verify"
    assert _set_cookie(answer, "token") is None
    assert smtp_server.inbox.code_for("careful@example.com")


# What the app says about its providers


def test_info_lists_the_configured_providers(make_app: MakeApp) -> None:
    everything = make_app().get("/info").json()
    assert everything["oauth_providers"] == ["google", "github", "microsoft"]
    only_github = make_app(
        GOOGLE_CLIENT_ID="",
        GOOGLE_CLIENT_SECRET="",
        MICROSOFT_CLIENT_ID="",
        MICROSOFT_CLIENT_SECRET="",
    )
    assert only_github.get("/info").json()["oauth_providers"] == ["github"]
    _refused(only_github.get("/auth/oauth/google/login"), "oauth_unknown")
    _refused(only_github.get("/auth/oauth/nowhere/login"), "oauth_unknown")


def test_an_id_token_with_another_nonce_goes_back_to_login(
    make_app: MakeApp, oidc: OidcProvider, engine: Engine
) -> None:
    client = make_app()
    oidc.swap_next_nonce("a-nonce-the-app-never-sent")
    claims = {"email": "ada@example.com", "email_verified": True}
    answer = _oidc_sign_in(client, oidc, "google", "google-ada", claims)
    _refused(answer, "oauth_unavailable", next="/profile")
    assert count_rows(engine, User) == 0
