"""The FastAPI application, served beside Reflex's pages (admin_app/asgi.py)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from admin_app import __version__
from admin_app.api import errors, fallback
from admin_app.api.oauth_state import OAuthState
from admin_app.api.routes import (
    audit,
    auth,
    browser_session,
    factors,
    health,
    info,
    keys,
    oauth,
    passkeys,
    users,
)
from admin_app.api.security_headers import SecurityHeaders
from admin_app.settings import get_settings

# Token answers are never cached (the pages' own list: admin_app/admin_app.py).
NO_STORE = ("/auth", "/api")


def build_api() -> FastAPI:
    settings = get_settings()
    api = FastAPI(
        title=f"{settings.app_name} API",
        version=__version__,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        # No OpenTelemetry here: its check for configured providers, made on
        # every request, costs a tenth of a bare one.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    errors.install(api)
    api.add_middleware(errors.BodyLimit)
    api.add_middleware(SecurityHeaders, hsts=settings.cookie_secure, no_store=NO_STORE)
    api.add_middleware(
        OAuthState, jwt_secret=settings.jwt_secret, https_only=settings.cookie_secure
    )
    # Reflex's own policy for its backend (rxconfig.py): only our pages' origin.
    api.add_middleware(
        CORSMiddleware,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        allow_origins=[settings.app_origin],
    )
    # Routes are matched in order, one by one (FastAPI has no index of
    # paths): the hottest first, and `/auth/me` leads the auth router. Each
    # router's routes join the app's own list: an included router is matched
    # as a branch of its own, which costs every request that passes it
    # (benchmarks/README.md, "Where a request's time goes"). APIRouter has
    # already given each route its prefix, tags and error responses. A
    # user's own factors and re-authentication are the coldest: last, and
    # passkeys after them.
    routers = (health, auth, info, keys, users, audit, browser_session, oauth, factors, passkeys)
    for module in routers:
        api.router.routes.extend(module.router.routes)
    fallback.install(api)
    return api
