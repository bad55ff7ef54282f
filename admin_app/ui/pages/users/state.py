"""The state behind /users: every action re-checks the session and hands the
acting principal to the service, which checks `users:write` itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx

from admin_app import paths
from admin_app.db import session_scope
from admin_app.errors import DomainError
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import reset_links, users
from admin_app.services.admin import directory
from admin_app.services.limits import lockout
from admin_app.settings import get_settings
from admin_app.ui.components.one_time_secret import reveal
from admin_app.ui.state.auth import AuthState

PAGE_SIZE = 25
RESET_URL_ID = "reset-url"
TRI = {"all": None, "yes": True, "no": False}


def _in_session(work: Callable[..., Any], **kwargs: Any) -> Any:
    with session_scope() as db:
        return work(db, **kwargs)


def _listing(db: Any, **kwargs: Any) -> tuple[Any, set[int]]:
    """A page of users, and which of them are locked (one query for the page)."""
    found = directory.search(db, **kwargs)
    return found, lockout.locked_ids(db, [r.id for r in found.items])


def _row(row: directory.UserRow, locked: set[int]) -> dict[str, str]:
    return {
        "locked": "yes" if row.id in locked else "",
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
    # Whose reset link is shown; the link itself never enters state (one_time_secret).
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
            found, locked = await self._act(
                _listing,
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
        self.rows = [_row(r, locked) for r in found.items]
        self.total = found.total

    @rx.event
    async def load(self):
        self.uses_password = get_settings().uses_passwords
        self.error = self.notice = self.reset_for = ""
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

    async def _change(self, user_id: str, notice: str, **changes: Any) -> None:
        self.error = self.notice = ""
        try:
            await self._act(
                directory.update,
                user_id=int(user_id),
                changes=directory.UserChanges(**changes),
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
    async def unlock(self, user_id: str, username: str) -> None:
        self.error = self.notice = ""
        try:
            await self._act(lockout.unlock, user_id=int(user_id), ctx=self._request_context())
        except PermissionError:
            return
        except DomainError as exc:
            self.error = exc.message
            return
        self.notice = f"{username} can sign in with a password again."
        await self._fetch()

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
                directory.update,
                user_id=int(self.edit_id),
                changes=directory.UserChanges(full_name=str(form.get("edit_full_name", ""))),
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
            await self._act(directory.delete, user_id=int(target), ctx=self._request_context())
        except PermissionError:
            return
        except DomainError as exc:
            self.error = exc.message
            return
        self.notice = f"{name} was deleted."
        await self._fetch()

    @rx.event
    async def make_reset_link(self, user_id: str, username: str):
        self.error = ""
        me = await self._principal()
        if me is None:
            return None
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
            url = await asyncio.to_thread(work)
        except DomainError as exc:
            self.error = exc.message
            return None
        self.reset_for = username
        return reveal(RESET_URL_ID, url)

    @rx.event
    def close_reset(self) -> None:
        self.reset_for = ""

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
                directory.create,
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
