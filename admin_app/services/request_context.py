"""Who is asking, from where: carried into audit rows and session rows."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, kw_only=True)
class RequestContext:
    ip: str = ""
    user_agent: str = ""
    # The browser's "trust this browser" cookie, if it sent one (factors/trusted.py).
    trusted_browser: str | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def cli(cls) -> RequestContext:
        return cls(ip="cli", user_agent="admin_app command line")
