"""What a route needs from its request: settings, client address, the cookie."""

from __future__ import annotations

from fastapi import Request

from admin_app.paths import TRUSTED_BROWSER_COOKIE
from admin_app.security.client_ip import client_ip
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings, get_settings


def request_context(request: Request, settings: Settings | None = None) -> RequestContext:
    settings = settings or get_settings()
    peer = request.client.host if request.client else ""
    # Each proxy may add its own header line: read them all, in order, as the
    # pages do (the websocket handshake's headers come joined).
    forwarded = ",".join(request.headers.getlist("x-forwarded-for")) or None
    return RequestContext(
        ip=client_ip(peer, forwarded, settings.trusted_proxies),
        user_agent=request.headers.get("user-agent", ""),
        trusted_browser=request.cookies.get(TRUSTED_BROWSER_COOKIE),
    )


def same_origin(request: Request, settings: Settings) -> bool:
    """Cookie-authenticated requests that change state must come from our own pages."""
    return request.headers.get("origin") == settings.app_origin
