"""The Reflex app: pages, the layers around its backend, and the start-up hook.

The HTTP API is served beside it, not inside it: admin_app/asgi.py.
"""

from __future__ import annotations

import importlib

import reflex as rx
from starlette.types import ASGIApp

from admin_app import paths
from admin_app.api.dev_mailbox_gate import DevMailboxGate
from admin_app.api.security_headers import SecurityHeaders
from admin_app.api.single_cors import SingleCors
from admin_app.settings import get_settings
from admin_app.startup import cleanup_loop, on_backend_start
from admin_app.ui.pages import (  # noqa: F401  (importing a page module registers it)
    api_keys,
    audit,
    dashboard,
    forgot_password,
    login,
    mailbox,
    reset_password,
    setup_mfa,
    signup,
    verify,
)
from admin_app.ui.pages.profile import page as profile_page  # noqa: F401
from admin_app.ui.pages.users import page as users_page  # noqa: F401
from admin_app.ui.state.stale_user import ForgetStaleUser

# A team's own pages and permissions (APP_EXTENSIONS, docs/extending.md):
# imported after the built-in ones, before the app is made.
for _module in get_settings().extensions:
    importlib.import_module(_module)


def page_layers(backend: ASGIApp) -> ASGIApp:
    """Around Reflex's backend (pages, static files, the event websocket).

    A function, not a Starlette app: given an app, Reflex adds its CORS
    middleware to it too. Reflex's outermost CORS layer is the one that stays
    (see SingleCors).
    """
    settings = get_settings()
    return SecurityHeaders(
        DevMailboxGate(SingleCors(backend), enabled=settings.dev_mailbox),
        hsts=settings.cookie_secure,
        no_store=paths.SHOWS_SECRETS,
    )


app = rx.App(
    api_transformer=page_layers,
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
)
# First of all middleware: before Reflex's own hydration sends the state.
app.add_middleware(ForgetStaleUser(), index=0)
app.register_lifespan_task(on_backend_start)
app.register_lifespan_task(cleanup_loop)
