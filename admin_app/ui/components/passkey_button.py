"""The "Sign in with a passkey" / "Use passkey" button, and what a page says when the
browser's side of a passkey ceremony did not give a credential.

The ceremony itself runs in the browser (`ui/webauthn_js.py`); its result comes
back to the page's handler as a dict: `{"ok": true, "credential": "<json>"}` or
`{"ok": false, "error": "<DOMException name>", "message": ...}`.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventHandler, EventSpec

CANCELLED = "The passkey sign-in was cancelled or timed out. Try again, or {other}."
UNSUPPORTED = "This browser cannot use passkeys. {Other}."
REFUSED_HERE = "Your browser would not use a passkey on this site. {Other}."


def credential_of(result: Any) -> str | None:
    """The credential JSON of a ceremony that succeeded, else None."""
    if isinstance(result, dict) and result.get("ok") is True:
        credential = result.get("credential")
        if isinstance(credential, str) and credential:
            return credential
    return None


def failure_name(result: Any) -> str:
    """The DOMException name of a ceremony that failed ("Error" when the answer is odd)."""
    if isinstance(result, dict):
        return str(result.get("error") or "Error")
    return "Error"


def failure_message(result: Any, *, other: str = "sign in another way") -> str:
    """Calm words for a ceremony that gave no credential; `other` names the way out.

    The browser's own message is not shown: it is for developers, and it is
    whatever the browser (or a page script) put there.
    """
    name = failure_name(result)
    if name in ("NotAllowedError", "AbortError"):
        return CANCELLED.format(other=other)
    if name == "NotSupportedError":
        return UNSUPPORTED.format(Other=other[:1].upper() + other[1:])
    return REFUSED_HERE.format(Other=other[:1].upper() + other[1:])


def passkey_button(
    label: str, *, on_click: EventHandler | EventSpec, busy: rx.Var, **props: Any
) -> rx.Component:
    """A secondary, full-width button; `busy` shows its spinner (and the button stays
    named by its label, so a screen reader still knows what is pending)."""
    return rx.button(
        rx.icon("key-round", size=18, aria_hidden="true"),
        label,
        type="button",
        on_click=on_click,
        loading=busy,
        aria_busy=busy,
        variant="outline",
        size="3",
        width="100%",
        **props,
    )
