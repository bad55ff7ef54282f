""" "Continue with Google / GitHub / Microsoft": plain links, so the browser
really navigates to the backend route that starts the flow."""

from __future__ import annotations

import reflex as rx

LABELS = {"google": "Google", "github": "GitHub", "microsoft": "Microsoft"}


def provider_entries(names: list[str], next_path: str) -> list[dict[str, str]]:
    from urllib.parse import quote

    return [
        {
            "name": name,
            "label": f"Continue with {LABELS.get(name, name)}",
            "href": f"/auth/oauth/{name}/login?next={quote(next_path, safe='/')}",
            "logo": f"/{name}.svg",
        }
        for name in names
    ]


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
            rx.foreach(
                entries,
                lambda entry: rx.el.a(
                    rx.button(
                        rx.image(src=entry["logo"], width="18px", height="18px", alt=""),
                        entry["label"],
                        variant="outline",
                        color_scheme="gray",
                        size="3",
                        width="100%",
                        tab_index=-1,
                    ),
                    href=entry["href"],
                    style={"width": "100%", "textDecoration": "none"},
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )
