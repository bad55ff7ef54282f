"""Real browser navigations (not client-side route changes) to backend routes.

A POST form, not a link: the routes change state, so they check `Origin`, and
a ticket in a form body stays out of history and server logs.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex.event import EventSpec


def post_to(action: str, fields: dict[str, str] | None = None) -> EventSpec:
    payload = json.dumps(fields or {})
    return rx.call_script(
        "(() => {"
        "const form = document.createElement('form');"
        f"form.method = 'POST'; form.action = {json.dumps(action)};"
        f"for (const [name, value] of Object.entries({payload})) {{"
        "const input = document.createElement('input');"
        "input.type = 'hidden'; input.name = name; input.value = value;"
        "form.appendChild(input);}"
        "document.body.appendChild(form); form.submit();"
        "})()"
    )
