"""The `oauth_state` cookie: an OAuth flow's state, nonce and PKCE verifier.

A signed session cookie (Starlette's SessionMiddleware, which Authlib reads
and writes through `request.session`), held for minutes and signed with
JWT_SECRET's own HKDF key for this purpose (security/keys.py). Only the
OAuth routes use it, so only their requests pay for it: every other request
goes past without its cookie being parsed or its answer wrapped.
"""

from __future__ import annotations

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from admin_app.security.keys import derive

PREFIX = "/auth/oauth/"


def oauth_state_secret(jwt_secret: str) -> str:
    """What signs the `oauth_state` cookie: JWT_SECRET's "oauth-state" key."""
    return derive(jwt_secret, "oauth-state").hex()


class OAuthState:
    def __init__(self, app: ASGIApp, *, jwt_secret: str, https_only: bool) -> None:
        self.app = app
        self.with_cookie = SessionMiddleware(
            app,
            secret_key=oauth_state_secret(jwt_secret),
            session_cookie="oauth_state",
            max_age=600,
            same_site="lax",
            https_only=https_only,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self.with_cookie(scope, receive, send)
        else:
            await self.app(scope, receive, send)
