"""`next` after sign-in: same-site paths only, never another host."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT = "/"


def safe_next(value: str | None, *, default: str = DEFAULT) -> str:
    """`value` when it is a path on this site, else `default`.

    Refuses absolute URLs, scheme-relative `//host`, backslash tricks that
    browsers read as `//`, and control characters.
    """
    if not value or len(value) > 2048 or not value.startswith("/"):
        return default
    if value.startswith(("//", "/\\")) or any(ch < " " or ch == "\\" for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
