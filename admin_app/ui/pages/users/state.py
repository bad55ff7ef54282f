"""The state behind /users: every action re-checks the session and hands the
acting principal to the service, which checks `users:write` itself."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from admin_app import paths
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.admin import directory, manage
from admin_app.services.limits import lockout
from admin_app.settings import get_settings
from admin_app.ui.components.one_time_secret import reveal
from admin_app.ui.pages.users.listing import UserListRow, listing
from admin_app.ui.state.auth import Undone
from admin_app.ui.state.reauth import ReauthState

PAGE_SIZE = 25
RESET_URL_ID = "reset-url"
TRI = {"all": None, "yes": True, "no": False}


class UsersState(ReauthState):
    rows: list[UserListRow] = []
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
    # Whose reset link is shown; the link itself never enters state (one_time_secret).
    reset_for: str = ""
    # 0: no dialog open.
    delete_id: int = 0
    delete_name: str = ""
    edit_id: int = 0
    edit_name: str = ""
    edit_error: str = ""
    # Whose second factors a "Reset second factors" is asking about (0: none).
    factors_id: int = 0
    factors_name: str = ""

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    async def _fetch(self) -> None:
        filters = dict(
            query=self.query,
            admin=TRI[self.role],
            active=TRI[self.active],
            mfa=TRI[self.mfa],
            sort=self.sort,
            descending=self.descending,
            page=self.page,
            page_size=PAGE_SIZE,
        )
        listed = await self._attempt(
            lambda db, me: listing(db, actor=me, **filters), as_principal=True
        )
        if isinstance(listed, Undone):
            if listed.error:
                self.rows, self.total = [], 0
            return
        self.rows, self.total = listed

    @rx.event
    async def load(self):
        self.uses_password = get_settings().uses_passwords
        self.error = self.notice = self.reset_for = ""
        self.factors_id = 0
        self._reset_reauth()
        if not self.signed_in:
            return None
        if not self.is_admin:
            return rx.redirect(paths.DASHBOARD)
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
        if column in directory.SORTABLE:
            self.descending = not self.descending if self.sort == column else False
            self.sort = column
            await self._fetch()

    @rx.event
    async def turn_page(self, step: int) -> None:
        self.page = min(max(1, self.page + step), self.pages)
        await self._fetch()

    async def _change(
        self, user_id: int, notice: str, *, retry: str, args: tuple[Any, ...], **changes: Any
    ) -> None:
        self.error = self.notice = ""
        target, wanted = int(user_id), manage.UserChanges(**changes)
        ctx = self._request_context()
        # Granting Admin needs a fresh proof: "Confirm it's you" runs `retry(*args)` again.
        done = await self._sensitive(
            lambda db, me: manage.update(
                db,
                actor=me,
                user_id=target,
                changes=wanted,
                ctx=ctx,
                settings=get_settings(),
            ),
            retry=retry,
            args=args,
        )
        if isinstance(done, Undone):
            return
        self.notice = notice
        await self._fetch()

    @rx.event
    async def set_active(self, user_id: int, username: str, active: bool) -> None:
        word = "enabled" if active else "disabled; their sessions and keys stopped working"
        await self._change(
            user_id,
            f"{username} is {word}.",
            retry="set_active",
            args=(user_id, username, active),
            is_active=active,
        )

    @rx.event
    async def set_admin(self, user_id: int, username: str, admin: bool) -> None:
        word = "now an Admin" if admin else "no longer an Admin"
        await self._change(
            user_id,
            f"{username} is {word}.",
            retry="set_admin",
            args=(user_id, username, admin),
            is_admin=admin,
        )

    @rx.event
    async def unlock(self, user_id: int, username: str) -> None:
        self.error = self.notice = ""
        target, ctx = int(user_id), self._request_context()
        done = await self._attempt(
            lambda db, me: lockout.unlock(db, actor=me, user_id=target, ctx=ctx),
            as_principal=True,
        )
        if isinstance(done, Undone):
            return
        self.notice = f"{username} can sign in with a password again."
        await self._fetch()

    @rx.event
    def open_edit(self, user_id: int, full_name: str) -> None:
        self.edit_id, self.edit_name, self.edit_error = user_id, full_name, ""

    @rx.event
    def close_edit(self) -> None:
        self.edit_id = 0

    @rx.event
    async def save_edit(self, form: dict) -> None:
        target, ctx = int(self.edit_id), self._request_context()
        wanted = manage.UserChanges(full_name=str(form.get("edit_full_name", "")))
        done = await self._attempt(
            lambda db, me: manage.update(
                db,
                actor=me,
                user_id=target,
                changes=wanted,
                ctx=ctx,
                settings=get_settings(),
            ),
            as_principal=True,
            error="edit_error",
        )
        if isinstance(done, Undone):
            return
        self.edit_id, self.notice = 0, "Saved."
        await self._fetch()

    @rx.event
    def ask_delete(self, user_id: int, username: str) -> None:
        self.delete_id, self.delete_name = user_id, username

    @rx.event
    def cancel_delete(self) -> None:
        self.delete_id = 0

    @rx.event
    async def confirm_delete(self) -> None:
        self.error = self.notice = ""
        target, name = int(self.delete_id), self.delete_name
        self.delete_id = 0
        ctx = self._request_context()
        done = await self._attempt(
            lambda db, me: manage.delete(db, actor=me, user_id=target, ctx=ctx),
            as_principal=True,
        )
        if isinstance(done, Undone):
            return
        self.notice = f"{name} was deleted."
        await self._fetch()

    @rx.event
    async def make_reset_link(self, user_id: int, username: str):
        self.error = ""
        target, ctx = int(user_id), self._request_context()

        def work(db: Session, me: Principal) -> str:
            return manage.reset_link(
                db, actor=me, settings=get_settings(), user_id=target, ctx=ctx
            ).url

        url = await self._sensitive(work, retry="make_reset_link", args=(user_id, username))
        if isinstance(url, Undone):
            return None
        self.reset_for = username
        return reveal(RESET_URL_ID, url)

    @rx.event
    def close_reset(self) -> None:
        self.reset_for = ""

    @rx.event
    def ask_reset_factors(self, user_id: int, username: str) -> None:
        self.factors_id, self.factors_name = int(user_id), username

    @rx.event
    def cancel_reset_factors(self) -> None:
        self.factors_id = 0

    @rx.event
    async def reset_factors(self, user_id: int, username: str) -> None:
        """Every authenticator app, recovery code and trusted browser of the user goes."""
        self.factors_id, self.error, self.notice = 0, "", ""
        target, ctx = int(user_id), self._request_context()
        done = await self._sensitive(
            lambda db, me: manage.reset_factors(
                db, actor=me, settings=get_settings(), user_id=target, ctx=ctx
            ),
            retry="reset_factors",
            args=(target, username),
        )
        if isinstance(done, Undone):
            return
        self.notice = f"The second factors of {username} were reset."
        await self._fetch()

    @rx.event
    def open_create(self) -> None:
        self.create_open, self.create_error = True, ""

    @rx.event
    def close_create(self) -> None:
        self.create_open = False

    @rx.event
    async def create(self, form: dict):
        data = users.NewUser(
            username=str(form.get("new_username", "")),
            full_name=str(form.get("new_full_name", "")),
            email=str(form.get("new_email", "")),
            password=str(form.get("new_password", "")) or None,
            is_admin=bool(form.get("new_admin")),
        )
        ctx = self._request_context()
        row = await self._attempt(
            lambda db, me: manage.create(db, actor=me, settings=get_settings(), data=data, ctx=ctx),
            as_principal=True,
            error="create_error",
        )
        if isinstance(row, Undone):
            return
        self.create_open, self.notice = False, f"{row.username} was created."
        await self._fetch()
