"""CORS headers once: Reflex adds its CORS middleware both around its own backend
and around the whole app, and Socket.IO adds its own as well, so answers on
`/_event` carried `Access-Control-Allow-Origin` twice, which browsers reject.

Placed between those layers (our API transformer wraps Reflex's backend), this
drops what the inner layers set; the outermost CORS middleware sets it once.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _without_cors(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    kept = []
    for name, value in headers:
        lowered = name.lower()
        if lowered.startswith(b"access-control-"):
            continue
        if lowered == b"vary":
            tokens = [t.strip() for t in value.split(b",") if t.strip().lower() != b"origin"]
            if not tokens:
                continue
            value = b", ".join(tokens)
        kept.append((name, value))
    return kept


class SingleCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def strip(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _without_cors(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, strip)
