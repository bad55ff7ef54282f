"""/verify's other parts: the passkey button, the recovery-code field, "trust this
browser", the switches between the ways of meeting a step, and the resend line."""

from __future__ import annotations

import reflex as rx

from admin_app import paths
from admin_app.ui.components.passkey_button import passkey_button
from admin_app.ui.pages.verify.code_boxes import LEAD_ID
from admin_app.ui.pages.verify.state import EMAIL, PASSKEY, RECOVERY, TOTP, VerifyState

TRUST_HINT_ID = "trust-browser-hint"


def recovery_field() -> rx.Component:
    """A plain text field: recovery codes are letters and digits like abcd-efgh-jkmn."""
    return rx.vstack(
        rx.el.label(
            "Recovery code",
            html_for="recovery-code",
            style={"fontWeight": 500, "fontSize": "0.875rem"},
        ),
        rx.input(
            id="recovery-code",
            name="recovery_code",
            # A failed try mounts the field afresh, focused, with what was typed.
            key=VerifyState.attempt,
            default_value=VerifyState.recovery,
            auto_focus=True,
            auto_complete="off",
            auto_capitalize="none",
            spell_check=False,
            aria_describedby=LEAD_ID,
            size="3",
            width="100%",
        ),
        rx.text("It looks like abcd-efgh-jkmn.", size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def passkey_field() -> rx.Component:
    """The passkey's one control: the browser asks for the passkey, nothing is typed."""
    return passkey_button(
        "Use passkey",
        on_click=VerifyState.use_passkey,
        busy=VerifyState.busy,
        # A failed try mounts it afresh, focused, for another go.
        key=VerifyState.attempt,
        auto_focus=True,
        aria_describedby=LEAD_ID,
    )


def trust_checkbox() -> rx.Component:
    """Above the code field: the sixth digit submits, so it is ticked first."""
    return rx.cond(
        VerifyState.trust_offered,
        rx.vstack(
            rx.el.label(
                rx.hstack(
                    rx.checkbox(
                        # No id: an id'd control inside the form would be
                        # submitted by its id, which Reflex 0.10 deprecates;
                        # the tick travels through on_change instead.
                        # Uncontrolled: the tick shows at once; the server keeps
                        # its copy (and carries it over to a step after this one).
                        default_checked=VerifyState.trust,
                        on_change=VerifyState.set_trust,
                        aria_label=VerifyState.trust_label,
                        aria_describedby=TRUST_HINT_ID,
                    ),
                    rx.text(VerifyState.trust_label, size="2"),
                    align="center",
                    spacing="2",
                ),
            ),
            rx.text(
                "This browser will skip this step. Only on a device that is yours alone.",
                id=TRUST_HINT_ID,
                size="1",
                color_scheme="gray",
            ),
            spacing="1",
            width="100%",
        ),
    )


def switch_to(method: str, label: str | rx.Var) -> rx.Component:
    return rx.cond(
        VerifyState.methods.contains(method) & (VerifyState.method != method),
        rx.button(
            label,
            on_click=VerifyState.use_method(method),
            variant="ghost",
            type="button",
            size="2",
        ),
    )


def method_switches() -> rx.Component:
    """Buttons, not links: each changes the step's way in place (focus goes to its field)."""
    return rx.vstack(
        switch_to(PASSKEY, "Use your passkey"),
        switch_to(TOTP, "Use your authenticator app"),
        switch_to(RECOVERY, "Use a recovery code"),
        switch_to(
            EMAIL,
            rx.cond(VerifyState.mailed, "Use the code we emailed you", "Email me a code instead"),
        ),
        spacing="3",
        align="start",
        width="100%",
    )


def resend_status() -> rx.Component:
    """Always on the page, so screen readers announce each change of its words: a new
    code sent, and the end of the countdown (the countdown itself is not announced)."""
    return rx.text(
        VerifyState.status_line,
        id="resend-status",
        role="status",
        aria_live="polite",
        size="2",
        color_scheme="gray",
    )


def resend_button() -> rx.Component:
    return rx.button(
        rx.cond(
            VerifyState.resend_in > 0,
            rx.text("Resend code in ", VerifyState.resend_in, " s"),
            rx.text("Resend code"),
        ),
        on_click=VerifyState.resend,
        disabled=VerifyState.resend_in > 0,
        variant="ghost",
        type="button",
    )


def footer() -> rx.Component:
    return rx.hstack(
        rx.cond(VerifyState.method == EMAIL, resend_button(), rx.box()),
        rx.link("Start over", href=paths.LOGIN, size="2"),
        justify="between",
        width="100%",
        align="center",
    )
