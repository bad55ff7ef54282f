"""JSON answers for API paths that no route takes, and OPTIONS with a true `Allow`.

Without this, a request under /api or /auth that matches no route falls
through to the frontend's static files and gets a plain-text 405 (with the
static files' `Allow`) or an HTML 404. Every API answer is `{"detail","code"}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.routing import BaseRoute, Match

from admin_app.api.errors import SENTENCES, error

PREFIXES = ("/api", "/auth")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _routes(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    # FastAPI (0.165, pinned) keeps an included router as one entry whose
    # routes, with their prefixes applied, are its `effective_candidates()`.
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if candidates is not None:
            yield from _routes(candidates())
        else:
            yield route


def _allowed(api: FastAPI, request: Request) -> set[str]:
    """The methods of the real routes whose path is the request's."""
    allowed: set[str] = set()
    for route in _routes(api.routes):
        if getattr(route, "name", None) != "fallback" and getattr(route, "methods", None):
            match, _ = route.matches(request.scope)
            if match in (Match.FULL, Match.PARTIAL):
                allowed |= set(route.methods)
    return allowed


def install(api: FastAPI) -> None:
    """Add the fallback routes; call after every other route is included."""

    async def fallback(request: Request) -> Response:
        allowed = _allowed(api, request)
        if not allowed:
            return error(404, SENTENCES[404], "not_found")
        allow = ", ".join(sorted(allowed | {"OPTIONS"}))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allow})
        return error(405, SENTENCES[405], "method_not_allowed", {"Allow": allow})

    for prefix in PREFIXES:
        api.add_api_route(
            f"{prefix}/{{rest:path}}",
            fallback,
            methods=METHODS,
            include_in_schema=False,
            name="fallback",
        )
    # OPTIONS on the API's other paths (/info, /healthz, ...); no other method.
    for route in list(_routes(api.routes)):
        if isinstance(getattr(route, "path", None), str) and not route.path.startswith(PREFIXES):
            api.add_api_route(
                route.path, fallback, methods=["OPTIONS"], include_in_schema=False, name="fallback"
            )


def exact_paths(api: FastAPI) -> list[str]:
    """The API's paths outside PREFIXES (/info, /healthz, /docs, ...), for the
    front router (admin_app/asgi.py): each is one fixed path."""
    found = []
    for route in _routes(api.routes):
        path = getattr(route, "path", None)
        if isinstance(path, str) and not path.startswith(PREFIXES):
            if "{" in path:
                raise ValueError(f"an API path outside {PREFIXES} must be fixed: {path}")
            found.append(path)
    return found
