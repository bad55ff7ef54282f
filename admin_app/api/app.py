"""The FastAPI application that Reflex mounts beside its pages."""

from __future__ import annotations

from fastapi import FastAPI

from admin_app import __version__
from admin_app.api import errors
from admin_app.api.routes import audit, auth, browser_session, info, keys, users
from admin_app.settings import get_settings


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
    api.include_router(browser_session.router)
    api.include_router(info.router)
    api.include_router(auth.router)
    api.include_router(keys.router)
    api.include_router(users.router)
    api.include_router(audit.router)
    return api
