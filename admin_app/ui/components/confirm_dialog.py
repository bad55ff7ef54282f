"""A question before something that cannot be taken back: what it does, then
Cancel (Radix focuses it on open: the safe choice) and the action."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventHandler, EventSpec


def confirm_dialog(
    title: tuple[Any, ...],
    description: tuple[Any, ...],
    *,
    action: str,
    on_confirm: EventHandler | EventSpec,
    open: rx.Var,
    on_open_change: EventHandler | EventSpec,
    danger: bool = True,
) -> rx.Component:
    """An alert dialog; `title` and `description` are their children. It closes
    through `on_open_change` (an on_click on Cancel would unwire it)."""
    # White on solid red is under 4.5:1; the high-contrast red is not.
    emphasis: dict[str, Any] = {"color_scheme": "red", "high_contrast": True} if danger else {}
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(*title),
            rx.alert_dialog.description(*description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(action, on_click=on_confirm, **emphasis),
                justify="end",
                margin_top="1rem",
            ),
        ),
        open=open,
        on_open_change=on_open_change,
    )
