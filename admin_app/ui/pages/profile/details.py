"""/profile's own details: the name, the password, the linked sign-in providers."""

from __future__ import annotations

import reflex as rx

from admin_app.ui.components.auth_card import field, form_error
from admin_app.ui.pages.profile.section import section
from admin_app.ui.pages.profile.state import ProfileState
from admin_app.ui.state.auth import AuthState


def name_section() -> rx.Component:
    return section(
        "Your details",
        rx.data_list.root(
            rx.data_list.item(
                rx.data_list.label("Username"), rx.data_list.value(AuthState.username)
            ),
            rx.data_list.item(rx.data_list.label("Email"), rx.data_list.value(AuthState.email)),
        ),
        rx.form(
            rx.hstack(
                rx.vstack(
                    rx.el.label(
                        "Full name",
                        html_for="full_name",
                        style={"fontWeight": 500, "fontSize": "0.875rem"},
                    ),
                    rx.input(
                        id="full_name",
                        name="full_name",
                        default_value=AuthState.full_name,
                        key=AuthState.full_name,
                        required=True,
                        width="100%",
                    ),
                    spacing="1",
                    flex="1",
                ),
                rx.button("Save", type="submit", variant="soft"),
                align="end",
                width="100%",
            ),
            on_submit=ProfileState.save_name,
            width="100%",
        ),
        form_error(ProfileState.name_error),
    )


def set_password_proof() -> rx.Component:
    """No password yet: a sign-in within 10 minutes, or a mailed code, proves it is you."""
    return rx.vstack(
        rx.text(
            "Setting a password needs proof that it is you: a sign-in in the last "
            "10 minutes, or a code we email you.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            ProfileState.password_code_sent_to != "",
            rx.vstack(
                rx.text(
                    "Code sent to ", ProfileState.password_code_sent_to, size="2", role="status"
                ),
                field("Code", "password_code", autocomplete="one-time-code"),
                width="100%",
            ),
            rx.button(
                "Email me a code",
                type="button",
                on_click=ProfileState.send_password_code,
                variant="soft",
            ),
        ),
        spacing="2",
        width="100%",
    )


def password_section() -> rx.Component:
    return section(
        "Password",
        rx.form(
            rx.vstack(
                form_error(ProfileState.password_error),
                rx.cond(
                    ProfileState.has_password,
                    field(
                        "Current password",
                        "current_password",
                        type="password",
                        autocomplete="current-password",
                    ),
                    set_password_proof(),
                ),
                field("New password", "new_password", type="password", autocomplete="new-password"),
                field(
                    "Confirm new password",
                    "confirm_password",
                    type="password",
                    autocomplete="new-password",
                ),
                rx.button("Change password", type="submit", loading=ProfileState.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=ProfileState.change_password,
            reset_on_submit=True,
            width="100%",
        ),
    )


def linked_section() -> rx.Component:
    return rx.cond(
        ProfileState.linked.length() > 0,
        section(
            "Linked sign-in providers",
            form_error(ProfileState.link_error),
            rx.foreach(
                ProfileState.linked,
                lambda item: rx.hstack(
                    rx.image(src="/" + item.name + ".svg", width="18px", height="18px", alt=""),
                    rx.text(item.label),
                    rx.spacer(),
                    rx.button(
                        "Unlink",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=ProfileState.unlink(item.name),
                        aria_label="Unlink " + item.label,
                    ),
                    width="100%",
                    align="center",
                ),
            ),
        ),
    )
