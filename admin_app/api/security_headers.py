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
        self.no_store = tuple(no_store)

    def _wanted(self, path: str) -> list[tuple[bytes, bytes]]:
        if any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.no_store):
            # Replaces any Cache-Control the route or the static files set.
            return [*self.headers, NO_STORE]
        return self.headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self._wanted(scope.get("path", ""))
        replaced = {name for name, _ in wanted if name == NO_STORE[0]}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in replaced
                ]
                present = {name.lower() for name, _ in kept}
                message["headers"] = [
                    *kept,
                    *[(name, value) for name, value in wanted if name not in present],
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
