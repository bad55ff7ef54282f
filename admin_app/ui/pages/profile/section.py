"""The look of one /profile section: a card with its h2."""

from __future__ import annotations

import reflex as rx


def section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%"),
        width="100%",
    )
