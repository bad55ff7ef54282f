"""The FastAPI application that Reflex mounts beside its pages."""

from __future__ import annotations

from fastapi import FastAPI

from admin_app import __version__
from admin_app.api.routes import browser_session, info
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
    api.include_router(browser_session.router)
    api.include_router(info.router)
    return api
