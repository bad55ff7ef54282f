"""The Reflex app: pages, the HTTP API beside them, and the start-up hook."""

from __future__ import annotations

import importlib

import reflex as rx
from starlette.types import ASGIApp

from admin_app.api.app import build_api
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


def with_api(backend: ASGIApp) -> ASGIApp:
    """The API in front of Reflex's backend, which answers everything else.

    A function, not the FastAPI app itself: given an app, Reflex adds its
    CORS middleware to it too. Reflex's outermost CORS layer is the one that
    stays (see SingleCors); the API is same-origin for the pages anyway.
    """
    api = build_api()
    api.mount("", SingleCors(backend))
    return SingleCors(api)


app = rx.App(
    api_transformer=with_api,
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
)
# First of all middleware: before Reflex's own hydration sends the state.
app.add_middleware(ForgetStaleUser(), index=0)
app.register_lifespan_task(on_backend_start)
app.register_lifespan_task(cleanup_loop)
