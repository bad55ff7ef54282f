"""Adding an authenticator app: a dialog on /profile, a panel on /setup-mfa; and the
recovery codes panel (shown once, with copy and download) that both pages use.

The QR code, the secret and the codes are empty elements here, filled by the
events of ui/state/app_setup.py; see components/one_time_secret.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from admin_app.ui.components.auth_card import field, form_error
from admin_app.ui.components.one_time_secret import copy_button, download_button, secret_box
from admin_app.ui.state.app_setup import CODES_ID, QR_ID, SECRET_ID, AppSetupState

Heading = Callable[..., rx.Component]


def recovery_codes_panel(done: Any, *, done_label: str = "I have saved them") -> rx.Component:
    """Ten recovery codes, shown now only; `done` closes what holds them."""
    return rx.vstack(
        rx.callout(
            "Save these codes somewhere safe, away from your phone. Each one signs you in "
            "once when your authenticator app or passkey is not at hand. They are shown only now.",
            icon="triangle-alert",
            color_scheme="amber",
            high_contrast=True,
            width="100%",
        ),
        rx.el.pre(
            id=CODES_ID,
            aria_label="Recovery codes",
            style={
                "fontFamily": "var(--code-font-family)",
                "fontSize": "1rem",
                "lineHeight": "1.6",
                "margin": 0,
                "padding": "0.75rem 1rem",
                "borderRadius": "var(--radius-2)",
                "background": "var(--gray-3)",
                "width": "100%",
            },
        ),
        rx.hstack(
            copy_button(CODES_ID, label="Copy the recovery codes"),
            download_button(CODES_ID, "recovery-codes.txt", label="Download the recovery codes"),
            rx.spacer(),
            rx.button(done_label, type="button", on_click=done),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def _name_step(heading: Heading, describe: Heading, cancel: rx.Component) -> rx.Component:
    return rx.vstack(
        heading("Add an authenticator app"),
        describe(
            "An authenticator app (such as Google Authenticator, Microsoft Authenticator, "
            "1Password or Aegis) shows a new 6-digit code every 30 seconds."
        ),
        rx.form(
            rx.vstack(
                form_error(AppSetupState.setup_error),
                field(
                    "Name for this app",
                    "app_name",
                    hint="Such as the phone it is on, to tell your apps apart.",
                    auto_focus=True,
                ),
                rx.hstack(
                    cancel, rx.button("Continue", type="submit"), justify="end", width="100%"
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=AppSetupState.start_setup,
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _scan_step(
    heading: Heading, describe: Heading, cancel: rx.Component, done: Any
) -> rx.Component:
    return rx.vstack(
        heading("Scan the QR code"),
        describe(
            "In your authenticator app, add an account and scan this code, or type the "
            "secret under it. Then enter the 6-digit code the app shows."
        ),
        rx.center(
            rx.el.img(
                id=QR_ID,
                alt=rx.Var.create("QR code for ") + AppSetupState.setup_app,
                width="200",
                height="200",
                style={"background": "white", "borderRadius": "var(--radius-2)"},
            ),
            width="100%",
        ),
        rx.text("Cannot scan it? Type this secret:", size="2"),
        rx.hstack(
            secret_box(SECRET_ID),
            copy_button(SECRET_ID, label="Copy the secret", compact=True),
            align="center",
            wrap="wrap",
        ),
        rx.form(
            rx.vstack(
                form_error(AppSetupState.setup_error),
                rx.vstack(
                    rx.el.label(
                        "6-digit code from the app",
                        html_for="setup_code",
                        style={"fontWeight": 500, "fontSize": "0.875rem"},
                    ),
                    rx.input(
                        id="setup_code",
                        name="setup_code",
                        input_mode="numeric",
                        auto_complete="one-time-code",
                        max_length=6,
                        required=True,
                        auto_focus=True,
                        size="3",
                        width="100%",
                    ),
                    spacing="1",
                    width="100%",
                ),
                rx.hstack(cancel, rx.button("Add app", type="submit"), justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            # `done` lists the app once added (a later app closes the dialog at once).
            on_submit=[AppSetupState.confirm_setup, done],
            reset_on_submit=True,
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _codes_step(heading: Heading, describe: Heading, done: Any) -> rx.Component:
    return rx.vstack(
        heading("Save your recovery codes"),
        describe("Your authenticator app is added. With it come these recovery codes."),
        recovery_codes_panel([AppSetupState.close_setup, done]),
        spacing="3",
        width="100%",
    )


def _steps(heading: Heading, describe: Heading, done: Any, *, cancel: bool) -> rx.Component:
    close = (
        rx.button(
            "Cancel",
            type="button",
            variant="soft",
            color_scheme="gray",
            on_click=AppSetupState.close_setup,
        )
        if cancel
        else rx.fragment()
    )
    return rx.match(
        AppSetupState.setup_step,
        ("scan", _scan_step(heading, describe, close, done)),
        ("codes", _codes_step(heading, describe, done)),
        _name_step(heading, describe, close),
    )


def add_app_dialog(on_done: Any) -> rx.Component:
    """/profile: the whole flow in one dialog; `on_done` runs after the app is added or
    the dialog closes (to list the new app)."""
    return rx.dialog.root(
        rx.dialog.content(
            _steps(
                rx.dialog.title,
                lambda text: rx.dialog.description(text, size="2"),
                on_done,
                cancel=True,
            ),
            max_width="30rem",
        ),
        open=AppSetupState.setup_open,
        # Escape closes it, at any step.
        on_open_change=[AppSetupState.close_setup, on_done],
    )


def add_app_panel(on_done: Any) -> rx.Component:
    """/setup-mfa: the same steps in the page itself, with headings for titles."""
    return rx.card(
        _steps(
            lambda text: rx.heading(text, size="4", as_="h2"),
            lambda text: rx.text(text, size="2", color_scheme="gray"),
            on_done,
            cancel=False,
        ),
        width="100%",
    )
