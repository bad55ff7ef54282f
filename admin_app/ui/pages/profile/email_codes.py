"""/profile's email-code switch ("Ask for an email code after my password") and the
proof that turning it off asks for."""

from __future__ import annotations

import reflex as rx

from admin_app.ui.components.auth_card import field, form_error
from admin_app.ui.pages.profile.section import section
from admin_app.ui.pages.profile.state import ProfileState


def confirm_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Turn off MFA"),
            rx.dialog.description("Prove it is you: your password, or a code sent to your email."),
            rx.vstack(
                form_error(ProfileState.mfa_error),
                rx.cond(
                    ProfileState.has_password,
                    rx.form(
                        rx.vstack(
                            field(
                                "Password",
                                "confirm_password_mfa",
                                type="password",
                                autocomplete="current-password",
                            ),
                            rx.button("Turn off with password", type="submit"),
                            width="100%",
                        ),
                        on_submit=ProfileState.disable_with_password,
                        width="100%",
                    ),
                ),
                rx.separator(),
                rx.cond(
                    ProfileState.code_sent_to != "",
                    rx.form(
                        rx.vstack(
                            rx.text(
                                "Code sent to ", ProfileState.code_sent_to, size="2", role="status"
                            ),
                            field("Code", "mfa_code", autocomplete="one-time-code"),
                            rx.button("Turn off with code", type="submit"),
                            width="100%",
                        ),
                        on_submit=ProfileState.disable_with_code,
                        width="100%",
                    ),
                    rx.button(
                        "Email me a code instead", on_click=ProfileState.send_code, variant="soft"
                    ),
                ),
                rx.button(
                    "Cancel",
                    on_click=ProfileState.close_confirm,
                    variant="ghost",
                    color_scheme="gray",
                ),
                spacing="3",
                margin_top="1rem",
            ),
        ),
        open=ProfileState.confirm_open,
        # Escape closes it like Cancel.
        on_open_change=ProfileState.close_confirm,
    )


def mfa_section() -> rx.Component:
    return section(
        "Multi-factor authentication",
        rx.cond(
            ProfileState.mfa_always_on,
            rx.hstack(
                rx.badge("Always on", color_scheme="green"),
                rx.text("Every sign-in needs a code sent to your email.", size="2"),
                align="center",
            ),
            rx.hstack(
                rx.el.label(
                    rx.hstack(
                        rx.switch(
                            checked=ProfileState.mfa_enabled,
                            on_change=ProfileState.switch_mfa,
                            id="mfa",
                        ),
                        rx.text("Ask for an email code after my password"),
                        align="center",
                    ),
                ),
            ),
        ),
        rx.cond(ProfileState.confirm_open, rx.fragment(), form_error(ProfileState.mfa_error)),
        rx.text(
            "Email codes prove you control your mailbox; they are not as strong as an "
            "authenticator app or a passkey.",
            size="1",
            color_scheme="gray",
        ),
        confirm_dialog(),
    )
