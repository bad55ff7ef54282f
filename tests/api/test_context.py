"""The client address of an API request, behind trusted proxies."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request

from admin_app.api.client import request_context
from admin_app.settings import load_settings


def _request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", line.encode()) for line in forwarded]
    return Request({"type": "http", "headers": headers, "client": (peer, 4000)})


def test_every_forwarded_for_line_is_read(tmp_path: Path) -> None:
    settings = load_settings(
        {"DATA_DIR": str(tmp_path), "JWT_SECRET": "s" * 40, "TRUSTED_PROXIES": "10.0.0.0/8"}
    )
    # The client forged the first line; the trusted proxy added its own line
    # with the address it really saw. Reading only the first line is spoofable.
    request = _request("10.0.0.1", "1.2.3.4", "198.51.100.7")
    assert request_context(request, settings).ip == "198.51.100.7"
    assert request_context(_request("10.0.0.1", "1.2.3.4, 198.51.100.7"), settings).ip == (
        "198.51.100.7"
    )
    # An untrusted peer's header is ignored whole.
    assert request_context(_request("192.0.2.1", "1.2.3.4"), settings).ip == "192.0.2.1"
