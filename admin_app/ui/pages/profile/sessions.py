"""/profile's signed-in sessions and trusted browsers."""

from __future__ import annotations

import reflex as rx

from admin_app.ui.pages.profile.factors_state import FactorsState
from admin_app.ui.pages.profile.section import section
from admin_app.ui.pages.profile.state import ProfileState


def session_row(item: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            item.device,
            rx.cond(item.current, rx.badge("This device", margin_left="0.5rem")),
        ),
        rx.table.cell(item.ip),
        rx.table.cell(item.last_seen),
    )


def sessions_section() -> rx.Component:
    return section(
        "Signed-in sessions",
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Device"),
                    rx.table.column_header_cell("Address"),
                    rx.table.column_header_cell("Last seen"),
                )
            ),
            # Focusable: on a narrow screen the table scrolls sideways (keyboard too).
            rx.table.body(rx.foreach(ProfileState.sessions, session_row), tab_index=0),
            width="100%",
        ),
        rx.button(
            "Sign out other sessions",
            on_click=ProfileState.sign_out_others,
            variant="soft",
            color_scheme="red",
        ),
        rx.cond(FactorsState.browsers.length() > 0, trusted_browsers()),
    )


def browser_row(item: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item.device),
        rx.table.cell(item.ip),
        rx.table.cell(item.since),
        rx.table.cell(item.expires),
        rx.table.cell(
            rx.button(
                "Stop trusting",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=FactorsState.stop_trusting(item.key),
                # The name starts with the words shown (WCAG 2.5.3), then says which.
                aria_label="Stop trusting " + item.device + " since " + item.since,
            )
        ),
    )


def trusted_browsers() -> rx.Component:
    """Browsers where "Trust this browser" skips the second step of sign-in."""
    return rx.vstack(
        rx.heading("Trusted browsers", size="3", as_="h3", margin_top="0.5rem"),
        rx.text(
            "A sign-in on these browsers skips the second step until the date shown. "
            "Changing your password ends them all.",
            size="2",
            color_scheme="gray",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ("Device", "Address", "Since", "Expires", "")
                    ]
                )
            ),
            rx.table.body(rx.foreach(FactorsState.browsers, browser_row)),
            width="100%",
        ),
        spacing="2",
        width="100%",
    )
