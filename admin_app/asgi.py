"""What granian serves: each request goes to the one stack it belongs to.

API paths go straight to the FastAPI app (`api/app.py`), which has its own
CORS, security headers and body limit; pages, static files, the event
websocket and the lifespan go to Reflex's stack. When the API was mounted
inside Reflex's stack, every API request also walked Reflex's outer Starlette
app, its CORS and context middleware and two mounts (benchmarks/README.md,
"Where a request's time goes"; benchmarks/overhead.py prints each stack's cost).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from admin_app.api import fallback
from admin_app.api.app import build_api


class ApiFirst:
    """API paths (exact ones, and everything under /api/ and /auth/) to `api`."""

    def __init__(self, api: ASGIApp, pages: ASGIApp, *, exact: frozenset[str]) -> None:
        self.api = api
        self.pages = pages
        self.exact = exact
        self.prefixes = tuple(f"{prefix}/" for prefix in fallback.PREFIXES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path in self.exact or path.startswith(self.prefixes):
                await self.api(scope, receive, send)
                return
        await self.pages(scope, receive, send)


def application() -> ASGIApp:
    """granian's factory (`server.py`): Reflex's stack and the API, side by side."""
    from admin_app.admin_app import app

    pages = app()  # Reflex's stack: its backend, the built frontend, the lifespan
    api = build_api()
    return ApiFirst(api, pages, exact=frozenset(fallback.exact_paths(api)))
