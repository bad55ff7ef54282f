"""Reflex configuration, derived from admin_app.settings (the only reader of the environment)."""

import sys

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from admin_app.settings import SettingsError, get_settings

try:
    settings = get_settings()
except SettingsError as exc:
    sys.exit(f"admin_app cannot start: {exc}")

config = rx.Config(
    app_name="admin_app",
    telemetry_enabled=False,
    frontend_port=settings.app_port,
    backend_port=settings.app_port,
    db_url=settings.database_url,
    redis_url=settings.redis_url,
    # Page states hold user lists and more: kept in memory (one worker) or in
    # Redis, never pickled to disk under .states/.
    state_manager_mode=(
        rx.constants.StateManagerMode.REDIS
        if settings.redis_url
        else rx.constants.StateManagerMode.MEMORY
    ),
    # Only our own pages may open the event websocket or call the API.
    cors_allowed_origins=[settings.app_origin],
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[SitemapPlugin],
)
