""" "Continue with Google / GitHub / Microsoft" buttons.

Each is a link with `reload_document`: the browser really loads the backend
route that starts the flow. A plain link is a client-side route change that
never reaches the server (the frontend answers it with its 404 page).
"""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

import reflex as rx

LABELS = {"google": "Google", "github": "GitHub", "microsoft": "Microsoft"}


@dataclasses.dataclass(frozen=True)
class ProviderEntry:
    name: str
    label: str
    href: str
    logo: str


def provider_entries(names: list[str], next_path: str) -> list[ProviderEntry]:
    return [
        ProviderEntry(
            name=name,
            label=f"Continue with {LABELS.get(name, name)}",
            href=f"/auth/oauth/{name}/login?next={quote(next_path, safe='/')}",
            logo=f"/{name}.svg",
        )
        for name in names
    ]


def provider_button(entry: rx.Var) -> rx.Component:
    return rx.link(
        rx.button(
            rx.image(src=entry.logo, width="18px", height="18px", alt=""),
            entry.label,
            variant="outline",
            color_scheme="gray",
            size="3",
            width="100%",
            # The link is the focusable control; the button is its look.
            tab_index=-1,
        ),
        href=entry.href,
        reload_document=True,
        underline="none",
        width="100%",
    )


def provider_buttons(entries: rx.Var) -> rx.Component:
    return rx.cond(
        entries.length() > 0,
        rx.vstack(
            rx.hstack(
                rx.separator(size="4"),
                rx.text("or", size="1", color_scheme="gray"),
                rx.separator(size="4"),
                align="center",
                width="100%",
            ),
            rx.foreach(entries, provider_button),
            spacing="2",
            width="100%",
        ),
    )
