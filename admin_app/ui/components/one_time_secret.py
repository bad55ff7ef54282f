"""Show a secret once without keeping it in the page's state.

A new API key, a reset link, an authenticator app's secret and QR code, or
recovery codes go to the browser inside the script of one event and are
written straight into an element (its text, or an image's src):
the state (kept on the server for the whole tab, resent at every page load,
stored by the state manager) never holds them, so nothing of them outlives
the page they were shown on.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex.event import EventSpec


def reveal(element_id: str, secret: str) -> EventSpec:
    """Write `secret` into the element once it is on the page (it may render after this)."""
    return _put(element_id, f"el.textContent = {json.dumps(secret)};")


def secret_box(element_id: str) -> rx.Component:
    # A plain element with no children: React never rewrites the text put there.
    return rx.el.code(
        id=element_id,
        style={"wordBreak": "break-all", "fontFamily": "var(--code-font-family)"},
    )


def reveal_image(element_id: str, src: str) -> EventSpec:
    """Set an <img>'s src once it is on the page (a QR code as a data: URL, say)."""
    return _put(element_id, f"el.src = {json.dumps(src)};")


def _put(element_id: str, action: str) -> EventSpec:
    return rx.call_script(
        "(function put(tries) {"
        f"const el = document.getElementById({json.dumps(element_id)});"
        f"if (el) {{ {action} }}"
        "else if (tries > 0) { requestAnimationFrame(() => put(tries - 1)); }"
        "})(300)"
    )


def copy_button(element_id: str, *, label: str = "", compact: bool = False) -> rx.Component:
    """Copy the element's text; `compact` drops the spaces that group it for reading."""
    text = f"document.getElementById({json.dumps(element_id)}).textContent"
    if compact:
        text += ".replace(/\\s+/g, '')"
    return rx.button(
        rx.icon("copy", size=14),
        "Copy",
        size="1",
        type="button",
        # The name starts with the word shown (WCAG 2.5.3), then says what is copied.
        aria_label=label or None,
        on_click=rx.call_script(f"navigator.clipboard.writeText({text})"),
    )


def download_button(element_id: str, filename: str, *, label: str = "") -> rx.Component:
    """Save the element's text as a file, made in the browser: it never exists on the server."""
    return rx.button(
        rx.icon("download", size=14),
        "Download",
        size="1",
        type="button",
        variant="soft",
        aria_label=label or None,
        on_click=rx.call_script(
            "(() => {"
            f"const text = document.getElementById({json.dumps(element_id)}).textContent;"
            "const url = URL.createObjectURL(new Blob([text + '\\n'], {type: 'text/plain'}));"
            "const link = document.createElement('a');"
            f"link.href = url; link.download = {json.dumps(filename)};"
            "document.body.appendChild(link); link.click(); link.remove();"
            "setTimeout(() => URL.revokeObjectURL(url), 1000);"
            "})()"
        ),
    )
