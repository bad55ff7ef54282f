"""/users: search, filter, sort and page through users; create, change, disable, delete."""

from __future__ import annotations

import reflex as rx

from admin_app import paths
from admin_app.services.access import permissions
from admin_app.ui.components.auth_card import form_error
from admin_app.ui.components.lists import filter_select, pager
from admin_app.ui.components.reauth_dialog import reauth_dialog
from admin_app.ui.layout import protected_page
from admin_app.ui.page_catalogue import NavEntry
from admin_app.ui.pages.users.dialogs import (
    create_dialog,
    delete_dialog,
    edit_dialog,
    reset_dialog,
    reset_factors_dialog,
)
from admin_app.ui.pages.users.state import UsersState


def header(label: str, column: str) -> rx.Component:
    return rx.table.column_header_cell(
        rx.button(
            label,
            rx.cond(
                UsersState.sort == column,
                rx.icon(rx.cond(UsersState.descending, "arrow-down", "arrow-up"), size=14),
            ),
            variant="ghost",
            color_scheme="gray",
            on_click=UsersState.sort_by(column),
        )
    )


def actions(row: rx.Var) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(
                rx.icon("ellipsis", size=16),
                variant="ghost",
                aria_label="Actions for " + row.username,
            )
        ),
        rx.menu.content(
            rx.menu.item("Edit name", on_click=UsersState.open_edit(row.id, row.full_name)),
            rx.cond(
                row.is_active,
                rx.menu.item(
                    "Disable", on_click=UsersState.set_active(row.id, row.username, False)
                ),
                rx.menu.item("Enable", on_click=UsersState.set_active(row.id, row.username, True)),
            ),
            rx.cond(
                row.is_admin,
                rx.menu.item(
                    "Remove Admin", on_click=UsersState.set_admin(row.id, row.username, False)
                ),
                rx.menu.item(
                    "Make Admin", on_click=UsersState.set_admin(row.id, row.username, True)
                ),
            ),
            rx.cond(
                row.locked,
                rx.menu.item("Unlock", on_click=UsersState.unlock(row.id, row.username)),
            ),
            rx.menu.item(
                "Generate reset link",
                on_click=UsersState.make_reset_link(row.id, row.username),
            ),
            rx.menu.item(
                "Reset second factors",
                on_click=UsersState.ask_reset_factors(row.id, row.username),
            ),
            rx.menu.separator(),
            rx.menu.item(
                "Delete", color_scheme="red", on_click=UsersState.ask_delete(row.id, row.username)
            ),
        ),
        modal=False,
    )


def factor_badges(row: rx.Var) -> rx.Component:
    """Authenticator apps and passkeys (with their counts past one) and the recovery
    codes left."""
    return rx.cond(
        (row.authenticator_apps > 0) | (row.passkeys > 0),
        rx.fragment(
            rx.cond(
                row.authenticator_apps > 0,
                rx.badge(
                    "Authenticator",
                    rx.cond(
                        row.authenticator_apps > 1, " ×" + row.authenticator_apps.to_string(), ""
                    ),
                    color_scheme="violet",
                ),
            ),
            rx.cond(
                row.passkeys > 0,
                rx.badge(
                    rx.cond(row.passkeys == 1, "1 passkey", row.passkeys.to_string() + " passkeys"),
                    color_scheme="blue",
                ),
            ),
            rx.badge(
                rx.cond(
                    row.recovery_codes_left == 1,
                    "1 recovery code",
                    row.recovery_codes_left.to_string() + " recovery codes",
                ),
                color_scheme="gray",
            ),
        ),
    )


def user_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.username),
        rx.table.cell(row.full_name),
        rx.table.cell(row.email),
        rx.table.cell(
            rx.hstack(
                rx.cond(row.is_admin, rx.badge("Admin")),
                rx.cond(row.is_active, rx.fragment(), rx.badge("Disabled", color_scheme="red")),
                rx.cond(row.mfa_enabled, rx.badge("MFA", color_scheme="green")),
                rx.cond(row.locked, rx.badge("Locked", color_scheme="orange")),
                factor_badges(row),
                spacing="1",
                wrap="wrap",
            )
        ),
        rx.table.cell(row.created),
        rx.table.cell(actions(row)),
    )


@protected_page(
    paths.USERS,
    "Users",
    permission=permissions.USERS_READ,
    nav=NavEntry("Users", "users", order=20),
    on_load=[UsersState.load],
)
def users_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Users", size="7", as_="h1"),
            rx.spacer(),
            rx.button(
                rx.icon("user-plus", size=16), "Create user", on_click=UsersState.open_create
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            UsersState.notice != "",
            rx.callout(
                UsersState.notice,
                icon="check",
                color_scheme="green",
                high_contrast=True,
                role="status",
                width="100%",
            ),
        ),
        form_error(UsersState.error),
        rx.hstack(
            rx.vstack(
                rx.el.label("Search", html_for="search", style={"fontSize": "0.75rem"}),
                rx.input(
                    id="search",
                    placeholder="Username, email or name",
                    on_change=UsersState.search.debounce(300),
                    width="18rem",
                ),
                spacing="1",
            ),
            filter_select(
                "Role",
                UsersState.role,
                [("all", "Any role"), ("yes", "Admins"), ("no", "Non-admins")],
                lambda v: UsersState.filter("role", v),
            ),
            filter_select(
                "Status",
                UsersState.active,
                [("all", "Any status"), ("yes", "Active"), ("no", "Disabled")],
                lambda v: UsersState.filter("active", v),
            ),
            filter_select(
                "MFA",
                UsersState.mfa,
                [("all", "Any MFA"), ("yes", "MFA on"), ("no", "MFA off")],
                lambda v: UsersState.filter("mfa", v),
            ),
            wrap="wrap",
            align="end",
            spacing="3",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    header("Username", "username"),
                    header("Name", "full_name"),
                    header("Email", "email"),
                    rx.table.column_header_cell("Status"),
                    header("Created", "created_at"),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(UsersState.rows, user_row)),
            width="100%",
        ),
        pager("users", UsersState.total, UsersState.page, UsersState.pages, UsersState.turn_page),
        create_dialog(),
        reset_dialog(),
        delete_dialog(),
        edit_dialog(),
        reset_factors_dialog(),
        reauth_dialog(),
        spacing="4",
        width="100%",
    )
