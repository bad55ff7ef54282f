"""/users: search, filter, sort and page through users; create, change, disable, delete.

Every action re-checks the session and hands the acting principal to the
service, which checks `users:write` itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx

from admin_app.db import session_scope
from admin_app.errors import DomainError
from admin_app.services import admin_users, reset_links, users
from admin_app.services.api_tokens import Principal
from admin_app.settings import get_settings
from admin_app.ui import routes
from admin_app.ui.components.auth_card import field, form_error
from admin_app.ui.layout import protected_page
from admin_app.ui.state.auth import AuthState

PAGE_SIZE = 25
TRI = {"all": None, "yes": True, "no": False}


def _in_session(work: Callable[..., Any], **kwargs: Any) -> Any:
    with session_scope() as db:
        return work(db, **kwargs)


def _row(row: admin_users.UserRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "username": row.username,
        "full_name": row.full_name,
        "email": row.email,
        "active": "yes" if row.is_active else "",
        "admin": "yes" if row.is_admin else "",
        "mfa": "yes" if row.mfa_enabled else "",
        "created": row.created_at.strftime("%Y-%m-%d"),
    }


class UsersState(AuthState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    query: str = ""
    role: str = "all"
    active: str = "all"
    mfa: str = "all"
    sort: str = "username"
    descending: bool = False
    error: str = ""
    notice: str = ""
    create_open: bool = False
    create_error: str = ""
    uses_password: bool = True
    reset_url: str = ""
    reset_for: str = ""
    delete_id: str = ""
    delete_name: str = ""
    edit_id: str = ""
    edit_name: str = ""
    edit_error: str = ""

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    async def _act(self, work: Callable[..., Any], **kwargs: Any) -> Any:
        """Run a service as the signed-in user; errors land in `self.error`."""
        me = await self._principal()
        if me is None:
            raise PermissionError
        return await asyncio.to_thread(_in_session, work, actor=me, **kwargs)

    async def _fetch(self) -> None:
        try:
            found = await self._act(
                admin_users.search,
                query=self.query,
                admin=TRI[self.role],
                active=TRI[self.active],
                mfa=TRI[self.mfa],
                sort=self.sort,
                descending=self.descending,
                page=self.page,
                page_size=PAGE_SIZE,
            )
        except PermissionError:
            return
        except DomainError as exc:
            self.error, self.rows, self.total = exc.message, [], 0
            return
        self.rows = [_row(r) for r in found.items]
        self.total = found.total

    @rx.event
    async def load(self):
        self.uses_password = get_settings().uses_passwords
        self.error = self.notice = self.reset_url = ""
        if not self.signed_in:
            return None
        if not self.is_admin:
            return rx.redirect(routes.DASHBOARD)
        await self._fetch()
        return None

    @rx.event
    async def search(self, value: str) -> None:
        self.query, self.page = value, 1
        await self._fetch()

    @rx.event
    async def filter(self, name: str, value: str) -> None:
        if name in ("role", "active", "mfa") and value in TRI:
            setattr(self, name, value)
            self.page = 1
            await self._fetch()

    @rx.event
    async def sort_by(self, column: str) -> None:
        if column in admin_users.SORTABLE:
            self.descending = not self.descending if self.sort == column else False
            self.sort = column
            await self._fetch()

    @rx.event
    async def turn_page(self, step: int) -> None:
        self.page = min(max(1, self.page + step), self.pages)
        await self._fetch()

    async def _change(self, user_id: str, notice: str, **changes: Any) -> None:
        self.error = self.notice = ""
        try:
            await self._act(
                admin_users.update,
                user_id=int(user_id),
                changes=admin_users.UserChanges(**changes),
                ctx=self._request_context(),
            )
        except PermissionError:
            return
        except DomainError as exc:
            self.error = exc.message
            return
        self.notice = notice
        await self._fetch()

    @rx.event
    async def set_active(self, user_id: str, username: str, active: bool) -> None:
        word = "enabled" if active else "disabled; their sessions and keys stopped working"
        await self._change(user_id, f"{username} is {word}.", is_active=active)

    @rx.event
    async def set_admin(self, user_id: str, username: str, admin: bool) -> None:
        word = "now an Admin" if admin else "no longer an Admin"
        await self._change(user_id, f"{username} is {word}.", is_admin=admin)

    @rx.event
    def open_edit(self, user_id: str, full_name: str) -> None:
        self.edit_id, self.edit_name, self.edit_error = user_id, full_name, ""

    @rx.event
    def close_edit(self) -> None:
        self.edit_id = ""

    @rx.event
    async def save_edit(self, form: dict) -> None:
        try:
            await self._act(
                admin_users.update,
                user_id=int(self.edit_id),
                changes=admin_users.UserChanges(full_name=str(form.get("edit_full_name", ""))),
                ctx=self._request_context(),
            )
        except PermissionError:
            return
        except DomainError as exc:
            self.edit_error = exc.message
            return
        self.edit_id, self.notice = "", "Saved."
        await self._fetch()

    @rx.event
    def ask_delete(self, user_id: str, username: str) -> None:
        self.delete_id, self.delete_name = user_id, username

    @rx.event
    def cancel_delete(self) -> None:
        self.delete_id = ""

    @rx.event
    async def confirm_delete(self) -> None:
        self.error = self.notice = ""
        target, name = self.delete_id, self.delete_name
        self.delete_id = ""
        try:
            await self._act(admin_users.delete, user_id=int(target), ctx=self._request_context())
        except PermissionError:
            return
        except DomainError as exc:
            self.error = exc.message
            return
        self.notice = f"{name} was deleted."
        await self._fetch()

    @rx.event
    async def make_reset_link(self, user_id: str, username: str) -> None:
        self.error = ""
        me = await self._principal()
        if me is None:
            return
        ctx = self._request_context()

        def work() -> str:
            me.require("users:write")
            with session_scope() as db:
                return reset_links.issue(
                    db,
                    settings=get_settings(),
                    user=users.get(db, int(user_id)),
                    ctx=ctx,
                    actor_id=me.user_id,
                ).url

        try:
            self.reset_url = await asyncio.to_thread(work)
        except DomainError as exc:
            self.error = exc.message
            return
        self.reset_for = username

    @rx.event
    def close_reset(self) -> None:
        self.reset_url = ""

    @rx.event
    def open_create(self) -> None:
        self.create_open, self.create_error = True, ""

    @rx.event
    def close_create(self) -> None:
        self.create_open = False

    @rx.event
    async def create(self, form: dict):
        me: Principal | None = await self._principal()
        if me is None:
            return
        data = users.NewUser(
            username=str(form.get("new_username", "")),
            full_name=str(form.get("new_full_name", "")),
            email=str(form.get("new_email", "")),
            password=str(form.get("new_password", "")) or None,
            is_admin=bool(form.get("new_admin")),
        )
        try:
            row = await asyncio.to_thread(
                _in_session,
                admin_users.create,
                actor=me,
                settings=get_settings(),
                data=data,
                ctx=self._request_context(),
            )
        except DomainError as exc:
            self.create_error = exc.message
            return
        self.create_open, self.notice = False, f"{row.username} was created."
        await self._fetch()


def choice(label: str, name: str, value: rx.Var, options: list[tuple[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray", as_="div"),
        rx.select.root(
            rx.select.trigger(aria_label=label),
            rx.select.content(*[rx.select.item(text, value=key) for key, text in options]),
            value=value,
            on_change=lambda v: UsersState.filter(name, v),
        ),
        spacing="1",
    )


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
                aria_label="Actions for " + row["username"],
            )
        ),
        rx.menu.content(
            rx.menu.item("Edit name", on_click=UsersState.open_edit(row["id"], row["full_name"])),
            rx.cond(
                row["active"] != "",
                rx.menu.item(
                    "Disable", on_click=UsersState.set_active(row["id"], row["username"], False)
                ),
                rx.menu.item(
                    "Enable", on_click=UsersState.set_active(row["id"], row["username"], True)
                ),
            ),
            rx.cond(
                row["admin"] != "",
                rx.menu.item(
                    "Remove Admin", on_click=UsersState.set_admin(row["id"], row["username"], False)
                ),
                rx.menu.item(
                    "Make Admin", on_click=UsersState.set_admin(row["id"], row["username"], True)
                ),
            ),
            rx.menu.item(
                "Generate reset link",
                on_click=UsersState.make_reset_link(row["id"], row["username"]),
            ),
            rx.menu.separator(),
            rx.menu.item(
                "Delete", color="red", on_click=UsersState.ask_delete(row["id"], row["username"])
            ),
        ),
    )


def user_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["username"]),
        rx.table.cell(row["full_name"]),
        rx.table.cell(row["email"]),
        rx.table.cell(
            rx.hstack(
                rx.cond(row["admin"] != "", rx.badge("Admin")),
                rx.cond(
                    row["active"] != "", rx.fragment(), rx.badge("Disabled", color_scheme="red")
                ),
                rx.cond(row["mfa"] != "", rx.badge("MFA", color_scheme="green")),
                spacing="1",
            )
        ),
        rx.table.cell(row["created"]),
        rx.table.cell(actions(row)),
    )


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
                    rx.el.label(rx.hstack(rx.checkbox(name="new_admin"), rx.text("Admin"))),
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
                rx.code(UsersState.reset_url, id="reset-url", style={"wordBreak": "break-all"}),
                rx.hstack(
                    rx.button(
                        rx.icon("copy", size=14),
                        "Copy",
                        on_click=rx.set_clipboard(UsersState.reset_url),
                    ),
                    rx.button("Done", variant="soft", on_click=UsersState.close_reset),
                ),
                spacing="3",
                margin_top="1rem",
            ),
        ),
        open=UsersState.reset_url != "",
    )


def delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete ", UsersState.delete_name, "?"),
            rx.alert_dialog.description(
                "Their sessions and API keys go with them. This cannot be undone."
            ),
            rx.hstack(
                rx.button(
                    "Cancel", variant="soft", color_scheme="gray", on_click=UsersState.cancel_delete
                ),
                rx.button("Delete", color_scheme="red", on_click=UsersState.confirm_delete),
                justify="end",
                margin_top="1rem",
            ),
        ),
        open=UsersState.delete_id != "",
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
        open=UsersState.edit_id != "",
    )


@protected_page(routes.USERS, "Users", on_load=[UsersState.load])
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
                UsersState.notice, icon="check", color_scheme="green", role="status", width="100%"
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
            choice(
                "Role",
                "role",
                UsersState.role,
                [("all", "Any role"), ("yes", "Admins"), ("no", "Non-admins")],
            ),
            choice(
                "Status",
                "active",
                UsersState.active,
                [("all", "Any status"), ("yes", "Active"), ("no", "Disabled")],
            ),
            choice(
                "MFA",
                "mfa",
                UsersState.mfa,
                [("all", "Any MFA"), ("yes", "MFA on"), ("no", "MFA off")],
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
        rx.hstack(
            rx.text(
                UsersState.total,
                " users · page ",
                UsersState.page,
                " of ",
                UsersState.pages,
                size="2",
                color_scheme="gray",
            ),
            rx.spacer(),
            rx.button(
                "Previous",
                variant="soft",
                on_click=UsersState.turn_page(-1),
                disabled=UsersState.page <= 1,
            ),
            rx.button(
                "Next",
                variant="soft",
                on_click=UsersState.turn_page(1),
                disabled=UsersState.page >= UsersState.pages,
            ),
            width="100%",
            align="center",
        ),
        create_dialog(),
        reset_dialog(),
        delete_dialog(),
        edit_dialog(),
        spacing="4",
        width="100%",
    )
