"""/dev/mailbox exists only for a local developer: elsewhere it is a 404.

The page shows every sign-in code the console sender kept, so it answers only
when the development mailbox is on (development, no SMTP_HOST, a loopback
APP_URL) and the request comes from this machine. The page's state checks
the same again, for a browser that reaches it by a client-side route change.
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from admin_app.security.client_ip import is_local_request

PREFIX = "/dev/mailbox"


class DevMailboxGate:
    def __init__(self, app: ASGIApp, *, enabled: bool) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        # A prefix, not a path: the built page may also be fetched as /dev/mailbox.html.
        if scope["type"] == "http" and path.startswith(PREFIX):
            peer = (scope.get("client") or ("", 0))[0]
            names = [name.decode("latin-1") for name, _ in scope.get("headers", [])]
            if not (self.enabled and is_local_request(peer, names)):
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
                return
        await self.app(scope, receive, send)
