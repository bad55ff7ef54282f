"""/profile: name, password, MFA, linked providers and signed-in sessions."""

from __future__ import annotations

import reflex as rx

from admin_app import paths
from admin_app.ui.components.auth_card import field, form_error
from admin_app.ui.layout import protected_page
from admin_app.ui.pages.profile.state import ProfileState
from admin_app.ui.state.auth import AuthState


def section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%"),
        width="100%",
    )


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
    )


@protected_page(paths.PROFILE, "Profile", on_load=[ProfileState.load])
def profile_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Profile", size="7", as_="h1"),
        rx.cond(
            ProfileState.notice != "",
            rx.callout(
                ProfileState.notice,
                icon="check",
                color_scheme="green",
                high_contrast=True,
                role="status",
                width="100%",
            ),
        ),
        name_section(),
        rx.cond(ProfileState.uses_password, password_section()),
        mfa_section(),
        linked_section(),
        sessions_section(),
        spacing="4",
        width="100%",
        max_width="48rem",
    )
