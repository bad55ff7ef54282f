"""The dialogs of /users: create, reset link (shown once), delete, edit name, reset factors."""

from __future__ import annotations

import reflex as rx

from admin_app.ui.components.auth_card import field, form_error
from admin_app.ui.components.confirm_dialog import confirm_dialog
from admin_app.ui.components.one_time_secret import copy_button, secret_box
from admin_app.ui.pages.users.state import RESET_URL_ID, UsersState


def create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Create user"),
            rx.form(
                rx.vstack(
                    form_error(UsersState.create_error),
                    field("Username", "new_username"),
                    field("Full name", "new_full_name"),
                    field("Email", "new_email", type="email"),
                    rx.cond(
                        UsersState.uses_password,
                        field(
                            "Password", "new_password", type="password", autocomplete="new-password"
                        ),
                    ),
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(name="new_admin", aria_label="Admin"), rx.text("Admin")
                        )
                    ),
                    rx.hstack(
                        rx.button(
                            "Cancel",
                            variant="soft",
                            color_scheme="gray",
                            type="button",
                            on_click=UsersState.close_create,
                        ),
                        rx.button("Create", type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=UsersState.create,
            ),
        ),
        open=UsersState.create_open,
        # Escape and the overlay close it too.
        on_open_change=UsersState.close_create,
    )


def reset_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Reset link for ", UsersState.reset_for),
            rx.dialog.description(
                "Hand this link over in person or by a channel you trust. It works once, "
                "for 24 hours, and it is shown only now."
            ),
            rx.vstack(
                secret_box(RESET_URL_ID),
                rx.hstack(
                    copy_button(RESET_URL_ID),
                    rx.button("Done", variant="soft", on_click=UsersState.close_reset),
                ),
                spacing="3",
                margin_top="1rem",
            ),
        ),
        open=UsersState.reset_for != "",
        on_open_change=UsersState.close_reset,
    )


def delete_dialog() -> rx.Component:
    return confirm_dialog(
        ("Delete ", UsersState.delete_name, "?"),
        ("Their sessions and API keys go with them. This cannot be undone.",),
        action="Delete",
        on_confirm=UsersState.confirm_delete,
        open=UsersState.delete_id != 0,
        on_open_change=UsersState.cancel_delete,
    )


def edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Edit name"),
            rx.form(
                rx.vstack(
                    form_error(UsersState.edit_error),
                    rx.el.label("Full name", html_for="edit_full_name"),
                    rx.input(
                        id="edit_full_name",
                        name="edit_full_name",
                        default_value=UsersState.edit_name,
                        key=UsersState.edit_id,
                    ),
                    rx.hstack(
                        rx.button(
                            "Cancel",
                            variant="soft",
                            color_scheme="gray",
                            type="button",
                            on_click=UsersState.close_edit,
                        ),
                        rx.button("Save", type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=UsersState.save_edit,
            ),
        ),
        open=UsersState.edit_id != 0,
        on_open_change=UsersState.close_edit,
    )


def reset_factors_dialog() -> rx.Component:
    return confirm_dialog(
        ("Reset the second factors of ", UsersState.factors_name, "?"),
        (
            "Their authenticator apps, passkeys, recovery codes and trusted browsers all "
            "go, and they are told by email. They sign in with what is left, then add a "
            "second factor again.",
        ),
        action="Reset second factors",
        on_confirm=UsersState.reset_factors(UsersState.factors_id, UsersState.factors_name),
        open=UsersState.factors_id != 0,
        on_open_change=UsersState.cancel_reset_factors,
    )
