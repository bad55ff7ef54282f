"""The sign-in family's look: one centred card, labelled fields, an alert for errors."""

from __future__ import annotations

import reflex as rx

from admin_app.settings import get_settings
from admin_app.ui.components.motion import reduced_motion


def auth_card(*children: rx.Component, subtitle: str | rx.Var = "") -> rx.Component:
    return rx.center(
        reduced_motion(),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.image(src="/logo.svg", width="32px", height="32px", alt=""),
                    rx.heading(get_settings().app_name, size="6", as_="h1"),
                    align="center",
                    spacing="2",
                ),
                # A page with headings of its own (/verify) passes no subtitle.
                *(
                    []
                    if isinstance(subtitle, str) and not subtitle
                    else [rx.text(subtitle, color_scheme="gray", size="2")]
                ),
                *children,
                spacing="4",
                width="100%",
            ),
            size="4",
            width="100%",
            max_width="26rem",
        ),
        min_height="100vh",
        padding="1rem",
        background=rx.color("gray", 2),
    )


def field(
    label: str,
    name: str,
    *,
    type: str = "text",
    autocomplete: str = "off",
    required: bool = True,
    auto_focus: bool = False,
    hint: str | rx.Var = "",
) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"fontWeight": 500, "fontSize": "0.875rem"}),
        rx.input(
            id=name,
            name=name,
            type=type,
            auto_complete=autocomplete,
            required=required,
            auto_focus=auto_focus,
            size="3",
            width="100%",
        ),
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        spacing="1",
        width="100%",
    )


def form_error(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle-alert", color_scheme="red", role="alert", width="100%"),
    )


def submit_button(label: str | rx.Var, busy: rx.Var) -> rx.Component:
    return rx.button(label, type="submit", loading=busy, size="3", width="100%")
