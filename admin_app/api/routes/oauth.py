"""OAuth sign-in routes: Authlib's Starlette client does state, PKCE and the ID token.

`/auth/oauth/{provider}/login?next=` starts; `/auth/oauth/{provider}/callback`
finishes, then either sets the session cookie (like every other sign-in) or,
when a code is due (otp and password+otp modes, or MFA on), mails one and
goes to /verify. Failures go back to /login with a code the page explains.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from joserfc.errors import JoseError

from admin_app.api.client import request_context
from admin_app.api.deps import AppSettings
from admin_app.api.routes.browser_session import set_session_cookie
from admin_app.db import session_scope
from admin_app.errors import (
    AccountDisabled,
    DomainError,
    EmailNotVerified,
    SignsInAnotherWay,
    SignupDisabled,
)
from admin_app.security.redirects import safe_next
from admin_app.services.access import browser_sessions
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import with_provider
from admin_app.services.signin.identities import ProviderIdentity
from admin_app.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth/oauth", include_in_schema=False)
TIMEOUT_SECONDS = 10
NEXT_KEY = "oauth_next"

_registry: dict[str, OAuth] = {}


def registry(settings: Settings) -> OAuth:
    """The Authlib clients for the configured providers, built once."""
    if "oauth" in _registry:
        return _registry["oauth"]
    registered = OAuth()
    common = {"code_challenge_method": "S256", "timeout": TIMEOUT_SECONDS}
    for provider in settings.oauth:
        if provider.name == "google":
            registered.register(
                "google",
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=settings.google_server_metadata_url
                or "https://accounts.google.com/.well-known/openid-configuration",
                client_kwargs={"scope": "openid email profile", **common},
            )
        elif provider.name == "microsoft":
            registered.register(
                "microsoft",
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=settings.microsoft_server_metadata_url
                or f"https://login.microsoftonline.com/{settings.microsoft_tenant}"
                "/v2.0/.well-known/openid-configuration",
                client_kwargs={"scope": "openid email profile", **common},
            )
        elif provider.name == "github":
            registered.register(
                "github",
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                authorize_url=settings.github_authorize_url,
                access_token_url=settings.github_token_url,
                api_base_url=settings.github_api_url + "/",
                client_kwargs={"scope": "read:user user:email", **common},
            )
    _registry["oauth"] = registered
    return registered


def _client(settings: Settings, provider: str) -> StarletteOAuth2App | None:
    if provider not in {p.name for p in settings.oauth}:
        return None
    return registry(settings).create_client(provider)


def _back_to_login(error: str, next_path: str = "/", **extra: str) -> Response:
    query = urlencode({"error": error, "next": next_path, **extra})
    return RedirectResponse(f"/login?{query}", status_code=303)


@router.get("/{provider}/login")
async def start(
    provider: str, request: Request, settings: AppSettings, next: str = "/"
) -> Response:
    client = _client(settings, provider)
    if client is None:
        return _back_to_login("oauth_unknown")
    request.session[NEXT_KEY] = safe_next(next)
    redirect_uri = f"{settings.app_url}/auth/oauth/{provider}/callback"
    try:
        return await client.authorize_redirect(request, redirect_uri)
    except (httpx.HTTPError, OAuthError, ValueError):
        log.warning("oauth: %s is unreachable", provider, exc_info=True)
        return _back_to_login("oauth_unavailable", safe_next(next))


def _microsoft_claims_options(client: StarletteOAuth2App) -> dict[str, Any] | None:
    """Microsoft's multi-tenant issuer is a template: check it against the token's tenant."""
    issuer = str((client.server_metadata or {}).get("issuer", ""))
    if "{tenantid}" not in issuer:
        return None

    def same_tenant(claims: Any, value: Any) -> bool:
        return bool(value == issuer.replace("{tenantid}", str(claims.get("tid", ""))))

    return {"iss": {"essential": True, "validate": same_tenant}}


async def _identity(
    provider: str, client: StarletteOAuth2App, request: Request
) -> ProviderIdentity:
    if provider == "github":
        token = await client.authorize_access_token(request)
        profile = (await client.get("user", token=token)).json()
        emails = (await client.get("user/emails", token=token)).json()
        primary = next(
            (e for e in emails if isinstance(e, dict) and e.get("primary") and e.get("verified")),
            None,
        )
        return ProviderIdentity(
            provider="github",
            subject=str(profile["id"]),
            email=primary["email"] if primary else None,
            email_verified=primary is not None,
            full_name=str(profile.get("name") or profile.get("login") or ""),
            login=str(profile.get("login") or "") or None,
        )
    options = _microsoft_claims_options(client) if provider == "microsoft" else None
    token = await client.authorize_access_token(request, claims_options=options)
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise OAuthError(description="no ID token")
    if provider == "microsoft":
        # Only `xms_edov` (email domain owner verified) vouches for the email.
        verified = claims.get("xms_edov") in (True, "true", "1", 1)
    else:
        verified = claims.get("email_verified") in (True, "true")
    return ProviderIdentity(
        provider=provider,
        subject=str(claims["sub"]),
        email=claims.get("email") or None,
        email_verified=verified,
        full_name=str(claims.get("name") or ""),
    )


def _sign_in(
    identity: ProviderIdentity, ctx: RequestContext, settings: Settings
) -> tuple[str, str]:
    """("cookie", value) when signed in; ("verify", otp_session_id) when a code is due."""
    with session_scope() as db:
        outcome = with_provider.sign_in(db, settings=settings, identity=identity, ctx=ctx)
        if isinstance(outcome, CodeSent):
            return "verify", outcome.otp_session_id
        return "cookie", browser_sessions.cookie_token(settings, outcome)


@router.get("/{provider}/callback")
async def finish(provider: str, request: Request, settings: AppSettings) -> Response:
    next_path = safe_next(request.session.pop(NEXT_KEY, "/"))
    client = _client(settings, provider)
    if client is None:
        return _back_to_login("oauth_unknown", next_path)
    if request.query_params.get("error"):
        return _back_to_login("oauth_denied", next_path)
    try:
        identity = await _identity(provider, client, request)
    except MismatchingStateError:
        return _back_to_login("oauth_state", next_path)
    except (httpx.HTTPError, OAuthError, JoseError, KeyError, ValueError, TypeError):
        # JoseError: the ID token failed a check (signature, issuer, audience,
        # expiry, nonce). Nobody is signed in; the user starts again.
        log.warning("oauth: %s callback failed", provider, exc_info=True)
        return _back_to_login("oauth_unavailable", next_path)
    try:
        outcome, value = await run_in_threadpool(
            _sign_in, identity, request_context(request, settings), settings
        )
    except SignsInAnotherWay:
        with session_scope() as db:
            ways = ",".join(with_provider.ways_in(db, settings=settings, email=identity.email))
        return _back_to_login("account_exists", next_path, ways=ways, provider=provider)
    except EmailNotVerified:
        return _back_to_login("email_not_verified", next_path, provider=provider)
    except SignupDisabled:
        return _back_to_login("signup_disabled", next_path, provider=provider)
    except AccountDisabled:
        return _back_to_login("account_disabled", next_path)
    except DomainError as exc:
        return _back_to_login(exc.code, next_path)
    if outcome == "verify":
        return RedirectResponse(
            f"/verify?{urlencode({'flow': value, 'next': next_path})}", status_code=303
        )
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, settings, value)
    return response
