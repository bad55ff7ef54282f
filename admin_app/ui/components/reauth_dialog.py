"""The "Confirm it's you" dialog: one per page that makes sensitive changes.

It opens when a page action met ProofNeeded (ui/state/reauth.py), offers the
proofs the user has, and on success runs that action again. Radix gives it
the dialog semantics: focus goes to its first field and stays inside, Escape
cancels; errors are role="alert", the sent code's notice and a cancelled
passkey prompt's word role="status". A passkey has no field: its way is a
button that asks the browser (the switch to it asks at once).
"""

from __future__ import annotations

import reflex as rx

from admin_app.ui.components.auth_card import field, form_error
from admin_app.ui.state.reauth import ReauthState

# What each way is called on the buttons that switch to it.
SWITCH_LABELS = (
    ("password", "Use your password"),
    ("passkey", "Use a passkey"),
    ("totp", "Use your authenticator app"),
    ("recovery", "Use a recovery code"),
    ("email", "Email me a code"),
)


def _keyed(method: str, child: rx.Component) -> rx.Component:
    # A key per way: React mounts the new field instead of reusing the last one's
    # input, so its auto_focus puts the focus there when the way changes.
    return rx.box(child, key=method, width="100%")


def _proof_field() -> rx.Component:
    return rx.match(
        ReauthState.reauth_method,
        (
            "password",
            _keyed(
                "password",
                field(
                    "Password",
                    "reauth_password",
                    type="password",
                    autocomplete="current-password",
                    auto_focus=True,
                ),
            ),
        ),
        (
            "passkey",
            _keyed(
                "passkey",
                rx.vstack(
                    rx.text(
                        "Your browser asks for one of your passkeys: your fingerprint, "
                        "face or screen lock, or a security key.",
                        size="2",
                        id="reauth-passkey-help",
                    ),
                    # Never disabled (as `loading` would): the focus stays on it while
                    # the browser asks, and comes back to it if the prompt is turned down.
                    rx.button(
                        rx.icon("key-round", size=16),
                        rx.cond(
                            ReauthState.reauth_busy, "Waiting for your passkey…", "Use a passkey"
                        ),
                        type="button",
                        auto_focus=True,
                        aria_describedby="reauth-passkey-help",
                        on_click=ReauthState.use_passkey,
                    ),
                    spacing="2",
                    width="100%",
                ),
            ),
        ),
        (
            "totp",
            _keyed(
                "totp",
                field(
                    "Code from your authenticator app",
                    "reauth_code",
                    autocomplete="one-time-code",
                    auto_focus=True,
                ),
            ),
        ),
        (
            "recovery",
            _keyed(
                "recovery",
                field("Recovery code", "reauth_code", autocomplete="off", auto_focus=True),
            ),
        ),
        _keyed(
            "email",
            rx.cond(
                ReauthState.reauth_sent_to != "",
                rx.vstack(
                    rx.text(
                        "We sent a code to ",
                        ReauthState.reauth_sent_to,
                        ".",
                        size="2",
                        role="status",
                    ),
                    field(
                        "Code from the email",
                        "reauth_code",
                        autocomplete="one-time-code",
                        auto_focus=True,
                    ),
                    width="100%",
                ),
                rx.button(
                    "Email me a code",
                    type="button",
                    variant="soft",
                    on_click=ReauthState.email_proof_code,
                ),
            ),
        ),
    )


def _switch_button(method: rx.Var) -> rx.Component:
    label = rx.match(method, *SWITCH_LABELS, "")
    return rx.cond(
        method != ReauthState.reauth_method,
        rx.button(
            label,
            type="button",
            size="1",
            variant="ghost",
            on_click=ReauthState.choose_proof(method),
        ),
    )


def reauth_dialog() -> rx.Component:
    return rx.fragment(
        rx.dialog.root(
            rx.dialog.content(
                rx.dialog.title("Confirm it's you"),
                rx.dialog.description("This change needs a fresh proof that it is you.", size="2"),
                rx.form(
                    rx.vstack(
                        form_error(ReauthState.reauth_error),
                        rx.cond(
                            ReauthState.reauth_hint != "",
                            rx.callout(
                                ReauthState.reauth_hint,
                                icon="info",
                                color_scheme="gray",
                                high_contrast=True,
                                role="status",
                                width="100%",
                            ),
                        ),
                        _proof_field(),
                        rx.cond(
                            (ReauthState.reauth_method != "passkey")
                            & (
                                (ReauthState.reauth_method != "email")
                                | (ReauthState.reauth_sent_to != "")
                            ),
                            rx.button("Confirm", type="submit", loading=ReauthState.reauth_busy),
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=ReauthState.submit_proof,
                    reset_on_submit=True,
                    width="100%",
                    margin_top="1rem",
                ),
                rx.cond(
                    ReauthState.reauth_methods.length() > 1,
                    rx.vstack(
                        rx.separator(),
                        rx.text("Or", size="1", color_scheme="gray"),
                        rx.foreach(ReauthState.reauth_methods, _switch_button),
                        align="start",
                        spacing="2",
                        margin_top="1rem",
                    ),
                ),
                rx.hstack(
                    rx.button(
                        "Cancel",
                        type="button",
                        variant="soft",
                        color_scheme="gray",
                        on_click=ReauthState.close_reauth,
                    ),
                    justify="end",
                    margin_top="1rem",
                ),
            ),
            open=ReauthState.reauth_open,
            # Escape and the overlay cancel it, like the Cancel button.
            on_open_change=ReauthState.close_reauth,
        ),
        rx.cond(
            ReauthState.reauth_notice != "",
            rx.callout(
                ReauthState.reauth_notice,
                icon="check",
                color_scheme="green",
                high_contrast=True,
                role="status",
                width="100%",
            ),
        ),
    )
