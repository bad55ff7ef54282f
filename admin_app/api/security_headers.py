"""Headers every response carries, pages and API alike (ASVS 14.4 / 50.x)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = [
    # No framing: an admin panel in someone else's iframe is a clickjacking target.
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    # Reset links carry their token in the URL: never send it to another site.
    (b"referrer-policy", b"same-origin"),
]
# Two years, as OWASP's HSTS cheat sheet suggests; sent only when APP_URL is https.
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
# Tokens, codes and keys must not stay in a browser's or a proxy's cache.
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Adds HEADERS to every answer; HSTS over https; no-store on `no_store` paths.

    `no_store` holds path prefixes: the auth API and the pages that show a
    secret (a new key, a reset link, a code).
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False, no_store: Sequence[str] = ()) -> None:
        self.app = app
        self.headers = [*HEADERS, HSTS] if hsts else list(HEADERS)
        self.exact = frozenset(no_store)
        self.prefixes = tuple(p.rstrip("/") + "/" for p in no_store)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        no_store = path in self.exact or path.startswith(self.prefixes)
        wanted = [*self.headers, NO_STORE] if no_store else self.headers

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if no_store:  # replaces any Cache-Control the route or static files set
                    headers = [(n, v) for n, v in headers if n.lower() != NO_STORE[0]]
                present = {name.lower() for name, _ in headers}
                message["headers"] = [*headers, *(h for h in wanted if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
