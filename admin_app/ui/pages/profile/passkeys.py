"""Passkeys on /profile (a part of "Two-step verification") and on /setup-mfa.

The list, "Add a passkey" (a dialog here, a card on /setup-mfa: a name, then
the browser's own passkey prompt), and Remove with its confirmation. The
recovery codes a first passkey brings are shown once, as a first app's are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from admin_app.ui.components.auth_card import form_error
from admin_app.ui.components.authenticator_setup import recovery_codes_panel
from admin_app.ui.components.confirm_dialog import confirm_dialog
from admin_app.ui.pages.profile.factors_state import FactorsState
from admin_app.ui.pages.profile.passkeys_state import DEFAULT_NAME, PasskeysState

Heading = Callable[..., rx.Component]

ABOUT = (
    "A passkey signs you in with your device's fingerprint, face or screen lock, or a "
    "security key: nothing to type, and nothing a fake site can use."
)


def passkey_item(line: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text(line.name, weight="medium", size="2"),
                    rx.cond(line.synced, rx.badge("Synced", color_scheme="blue")),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.text(
                    "Added ",
                    line.added,
                    " · ",
                    rx.cond(line.last_used != "", "Last used " + line.last_used, "Never used"),
                    size="1",
                    color_scheme="gray",
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.button(
                "Remove",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=PasskeysState.ask_remove_passkey(line.id, line.name),
                aria_label="Remove passkey " + line.name,
            ),
            align="center",
            width="100%",
        ),
        style={"padding": "0.5rem 0", "borderBottom": "1px solid var(--gray-a5)"},
    )


def passkeys_list() -> rx.Component:
    return rx.cond(
        FactorsState.passkeys.length() > 0,
        rx.el.ul(
            rx.foreach(FactorsState.passkeys, passkey_item),
            aria_label="Passkeys",
            style={"listStyle": "none", "margin": 0, "padding": 0, "width": "100%"},
        ),
        rx.text("No passkey yet.", size="2"),
    )


def _hint() -> rx.Component:
    return rx.cond(
        PasskeysState.passkey_hint != "",
        rx.callout(
            PasskeysState.passkey_hint,
            icon="info",
            color_scheme="gray",
            high_contrast=True,
            role="status",
            width="100%",
        ),
    )


def name_form(cancel: rx.Component) -> rx.Component:
    """A name for the passkey, then the browser asks for it (Continue)."""
    return rx.form(
        rx.vstack(
            form_error(PasskeysState.passkey_error),
            _hint(),
            rx.vstack(
                rx.el.label(
                    "Name for this passkey",
                    html_for="passkey_name",
                    style={"fontWeight": 500, "fontSize": "0.875rem"},
                ),
                rx.input(
                    id="passkey_name",
                    name="passkey_name",
                    default_value=DEFAULT_NAME,
                    auto_complete="off",
                    required=True,
                    max_length=64,
                    aria_describedby="passkey_name_hint",
                    size="3",
                    width="100%",
                ),
                rx.text(
                    "Such as the device or password manager it is kept in.",
                    id="passkey_name_hint",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="1",
                width="100%",
            ),
            rx.hstack(
                cancel,
                # Never disabled (as `loading` would): the focus stays on it while the
                # browser asks, and is there to try again if the prompt is turned down.
                rx.button(
                    rx.cond(
                        PasskeysState.passkey_busy, "Waiting for your passkey…", "Add a passkey"
                    ),
                    type="submit",
                ),
                justify="end",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=PasskeysState.start_passkey,
        width="100%",
    )


def _dialog_text(text: str) -> rx.Component:
    return rx.dialog.description(text, size="2")


def _card_heading(text: str) -> rx.Component:
    return rx.heading(text, size="4", as_="h2")


def _card_text(text: str) -> rx.Component:
    return rx.text(text, size="2", color_scheme="gray")


def codes_step(heading: Heading, describe: Heading, done: Any) -> rx.Component:
    return rx.vstack(
        heading("Save your recovery codes"),
        describe("Your passkey is added. With it come these recovery codes."),
        recovery_codes_panel(done),
        spacing="3",
        width="100%",
    )


def add_passkey_dialog() -> rx.Component:
    cancel = rx.button(
        "Cancel",
        type="button",
        variant="soft",
        color_scheme="gray",
        on_click=PasskeysState.close_passkey,
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.cond(
                PasskeysState.passkey_step == "codes",
                codes_step(rx.dialog.title, _dialog_text, PasskeysState.close_passkey),
                rx.vstack(
                    rx.dialog.title("Add a passkey"),
                    _dialog_text(ABOUT),
                    name_form(cancel),
                    spacing="3",
                    width="100%",
                ),
            ),
            max_width="30rem",
        ),
        open=PasskeysState.passkey_open,
        # Escape closes it, at any step.
        on_open_change=PasskeysState.close_passkey,
    )


def remove_passkey_dialog() -> rx.Component:
    return confirm_dialog(
        ("Remove passkey ", PasskeysState.remove_passkey_name, "?"),
        (
            "It stops working at once.",
            rx.cond(
                (FactorsState.passkeys.length() <= 1) & (FactorsState.apps.length() == 0),
                " It is your last second factor: your recovery codes go with it.",
                "",
            ),
        ),
        action="Remove",
        on_confirm=PasskeysState.remove_passkey(
            PasskeysState.remove_passkey_id, PasskeysState.remove_passkey_name
        ),
        open=PasskeysState.remove_passkey_id != 0,
        on_open_change=PasskeysState.cancel_remove_passkey,
    )


def passkeys_part() -> rx.Component:
    """/profile: the passkeys, under their own h3 in "Two-step verification"."""
    return rx.vstack(
        rx.heading("Passkeys", size="3", as_="h3", margin_top="0.5rem"),
        rx.text(ABOUT, size="2", color_scheme="gray"),
        passkeys_list(),
        rx.button(
            rx.icon("key-round", size=16),
            "Add a passkey",
            type="button",
            on_click=PasskeysState.open_passkey,
        ),
        add_passkey_dialog(),
        remove_passkey_dialog(),
        spacing="2",
        width="100%",
        align="start",
    )


def setup_passkey_panel(done: Any) -> rx.Component:
    """/setup-mfa: the same form in a card; `done` runs once the codes are saved."""
    return rx.card(
        rx.cond(
            PasskeysState.passkey_step == "codes",
            codes_step(_card_heading, _card_text, [PasskeysState.close_passkey, done]),
            rx.vstack(
                _card_heading("Or add a passkey"),
                _card_text(ABOUT),
                name_form(rx.fragment()),
                spacing="3",
                width="100%",
            ),
        ),
        width="100%",
    )
