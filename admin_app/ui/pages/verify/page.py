"""/verify: the steps of sign-in and sign-up after the first, one screen for each way.

The step says how it may be met (`CodeSent.methods`): the mailed code, an
authenticator app's code, a passkey, or a recovery code. The screen asks for
the first (a passkey, when the user holds one), and offers the others as
switches.
"""

from __future__ import annotations

import reflex as rx

from admin_app import paths
from admin_app.settings import get_settings
from admin_app.ui.components.auth_card import auth_card, form_error
from admin_app.ui.pages.verify.code_boxes import LEAD_ID, code_boxes
from admin_app.ui.pages.verify.fields import (
    footer,
    method_switches,
    passkey_field,
    recovery_field,
    resend_status,
    trust_checkbox,
)
from admin_app.ui.pages.verify.state import EMAIL, PASSKEY, RECOVERY, VerifyState


def lead() -> rx.Component:
    return rx.text(
        VerifyState.lead,
        rx.cond(
            VerifyState.method == EMAIL,
            rx.fragment(" ", rx.text.strong(VerifyState.sent_to), "."),
        ),
        id=LEAD_ID,
        size="2",
    )


def passkey_step() -> rx.Component:
    """No form: the button starts the browser's passkey request."""
    return rx.vstack(
        form_error(VerifyState.error),
        trust_checkbox(),
        passkey_field(),
        spacing="4",
        width="100%",
    )


def code_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_error(VerifyState.error),
            trust_checkbox(),
            rx.cond(VerifyState.method == RECOVERY, recovery_field(), code_boxes()),
            rx.button("Verify", type="submit", loading=VerifyState.busy, size="3", width="100%"),
            spacing="4",
            width="100%",
        ),
        on_submit=VerifyState.submit,
        width="100%",
    )


@rx.page(
    route=paths.VERIFY,
    title=f"Enter your code | {get_settings().app_name}",
    on_load=VerifyState.load,
)
def verify_page() -> rx.Component:
    return auth_card(
        rx.heading(VerifyState.heading, as_="h2", size="4"),
        lead(),
        rx.cond(VerifyState.method == PASSKEY, passkey_step(), code_form()),
        method_switches(),
        footer(),
        resend_status(),
    )
