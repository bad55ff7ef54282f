"""The FastAPI application that Reflex mounts beside its pages."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from admin_app import __version__, paths
from admin_app.api import errors, fallback
from admin_app.api.dev_mailbox_gate import DevMailboxGate
from admin_app.api.routes import audit, auth, browser_session, health, info, keys, oauth, users
from admin_app.api.security_headers import SecurityHeaders
from admin_app.security.keys import derive
from admin_app.settings import get_settings

# Token answers and pages that show a secret are never cached.
NO_STORE = ("/auth", "/api", *paths.SHOWS_SECRETS)


def oauth_state_secret(jwt_secret: str) -> str:
    """What signs the `oauth_state` cookie: JWT_SECRET's "oauth-state" key."""
    return derive(jwt_secret, "oauth-state").hex()


def build_api() -> FastAPI:
    settings = get_settings()
    api = FastAPI(
        title=f"{settings.app_name} API",
        version=__version__,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    errors.install(api)
    api.add_middleware(errors.BodyLimit)
    api.add_middleware(DevMailboxGate, enabled=settings.dev_mailbox)
    api.add_middleware(SecurityHeaders, hsts=settings.cookie_secure, no_store=NO_STORE)
    # Holds only an OAuth flow's state, nonce and PKCE verifier, for minutes,
    # signed with JWT_SECRET's own HKDF key for this purpose (security/keys.py).
    api.add_middleware(
        SessionMiddleware,
        secret_key=oauth_state_secret(settings.jwt_secret),
        session_cookie="oauth_state",
        max_age=600,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    api.include_router(browser_session.router)
    api.include_router(info.router)
    api.include_router(health.router)
    api.include_router(auth.router)
    api.include_router(keys.router)
    api.include_router(users.router)
    api.include_router(audit.router)
    api.include_router(oauth.router)
    fallback.install(api)
    return api
