"""Show a secret once without keeping it in the page's state.

A new API key or a reset link goes to the browser inside the script of one
event and is written straight into an element: the state (kept on the server
for the whole tab, resent at every page load, stored by the state manager)
never holds it, so nothing of it outlives the page it was shown on.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex.event import EventSpec


def reveal(element_id: str, secret: str) -> EventSpec:
    """Write `secret` into the element once it is on the page (it may render after this)."""
    return rx.call_script(
        "(function put(tries) {"
        f"const el = document.getElementById({json.dumps(element_id)});"
        f"if (el) {{ el.textContent = {json.dumps(secret)}; }}"
        "else if (tries > 0) { requestAnimationFrame(() => put(tries - 1)); }"
        "})(300)"
    )


def secret_box(element_id: str) -> rx.Component:
    # A plain element with no children: React never rewrites the text put there.
    return rx.el.code(
        id=element_id,
        style={"wordBreak": "break-all", "fontFamily": "var(--code-font-family)"},
    )


def copy_button(element_id: str) -> rx.Component:
    return rx.button(
        rx.icon("copy", size=14),
        "Copy",
        size="1",
        on_click=rx.call_script(
            "navigator.clipboard.writeText("
            f"document.getElementById({json.dumps(element_id)}).textContent)"
        ),
    )
