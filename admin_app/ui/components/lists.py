"""Pieces shared by the list pages (/users, /audit): filters and the pager."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex.event import EventSpec


def filter_select(
    label: str,
    value: rx.Var,
    options: list[tuple[str, str]],
    on_change: Callable[[rx.Var], EventSpec],
) -> rx.Component:
    """A select whose trigger carries the label (screen readers hear "Role", "Kind")."""
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray", as_="div", aria_hidden="true"),
        rx.select.root(
            rx.select.trigger(aria_label=label),
            rx.select.content(*[rx.select.item(text, value=key) for key, text in options]),
            value=value,
            on_change=on_change,
        ),
        spacing="1",
    )


def pager(
    noun: str,
    total: rx.Var,
    page: rx.Var,
    pages: rx.Var,
    turn: Callable[[int], EventSpec],
) -> rx.Component:
    """ "N users · page x of y" with Previous and Next."""
    return rx.hstack(
        rx.text(total, f" {noun} · page ", page, " of ", pages, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.button("Previous", variant="soft", on_click=turn(-1), disabled=page <= 1),
        rx.button("Next", variant="soft", on_click=turn(1), disabled=page >= pages),
        width="100%",
        align="center",
    )
