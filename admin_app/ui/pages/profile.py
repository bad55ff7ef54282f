"""/profile: name, password, MFA, and the user's signed-in sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx

from admin_app.db import session_scope
from admin_app.errors import DomainError, ValidationFailed
from admin_app.services import mfa, oauth, profile, users
from admin_app.services.context import RequestContext
from admin_app.services.sessions import SessionUser
from admin_app.settings import get_settings
from admin_app.ui import routes
from admin_app.ui.components.auth_card import field, form_error
from admin_app.ui.layout import protected_page
from admin_app.ui.state.auth import AuthState


def _as_user(me: SessionUser, work: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a profile service for the signed-in user, in one transaction."""
    with session_scope() as db:
        user = users.get(db, me.user_id)
        return work(db, user=user, **kwargs)


def _snapshot(db: Any, *, user: Any, session_id: str) -> dict[str, Any]:
    listed = profile.live_sessions(db, user_id=user.id, current_id=session_id)
    return {
        "linked": [
            {"name": name, "label": oauth.LABELS.get(name, name)}
            for name in oauth.linked(db, user_id=user.id)
        ],
        "full_name": user.full_name,
        "has_password": user.password_hash is not None,
        "mfa_enabled": user.mfa_enabled,
        "sessions": [
            {
                "device": s.device,
                "ip": s.ip or "unknown",
                "last_seen": s.last_seen_at.strftime("%Y-%m-%d %H:%M UTC"),
                "current": "yes" if s.current else "",
            }
            for s in listed
        ],
    }


class ProfileState(AuthState):
    has_password: bool = False
    uses_password: bool = True
    mfa_enabled: bool = False
    mfa_always_on: bool = False
    sessions: list[dict[str, str]] = []
    linked: list[dict[str, str]] = []
    link_error: str = ""
    notice: str = ""
    name_error: str = ""
    password_error: str = ""
    mfa_error: str = ""
    confirm_open: bool = False
    code_sent_to: str = ""
    busy: bool = False
    _confirm_id: str = ""

    async def _me(self) -> SessionUser | None:
        """Every action re-checks the session on the server first."""
        me = await self._session_user()
        self._show(me)
        return me

    async def _refresh(self, me: SessionUser) -> None:
        data = await asyncio.to_thread(_as_user, me, _snapshot, session_id=me.session_id)
        self.full_name = data["full_name"]
        self.has_password = data["has_password"]
        self.mfa_enabled = data["mfa_enabled"]
        self.sessions = data["sessions"]
        self.linked = data["linked"]

    @rx.event
    async def load(self) -> None:
        settings = get_settings()
        self.uses_password = settings.uses_passwords
        self.mfa_always_on = mfa.always_on(settings)
        self.notice = self.name_error = self.password_error = self.mfa_error = ""
        self.confirm_open = False
        if (me := await self._me()) is not None:
            await self._refresh(me)

    def _ctx(self) -> RequestContext:
        return self._request_context()

    @rx.event
    async def save_name(self, form: dict):
        if (me := await self._me()) is None:
            return rx.redirect(routes.LOGIN)
        try:
            await asyncio.to_thread(
                _as_user,
                me,
                profile.rename,
                full_name=str(form.get("full_name", "")),
                ctx=self._ctx(),
            )
        except DomainError as exc:
            self.name_error = exc.message
            return None
        self.name_error, self.notice = "", "Your name was saved."
        await self._refresh(me)
        return None

    @rx.event
    async def change_password(self, form: dict):
        if (me := await self._me()) is None:
            yield rx.redirect(routes.LOGIN)
            return
        new = str(form.get("new_password", ""))
        if new != str(form.get("confirm_password", "")):
            self.password_error = "The two new passwords differ."  # noqa: S105 (a message)
            return
        self.busy = True
        yield
        try:
            await asyncio.to_thread(
                _as_user,
                me,
                profile.change_password,
                settings=get_settings(),
                current=str(form.get("current_password", "")),
                new=new,
                ctx=self._ctx(),
                current_session_id=me.session_id,
            )
        except DomainError as exc:
            self.busy, self.password_error = False, exc.message
            return
        self.busy, self.password_error = False, ""
        self.notice = "Password changed. Your other sessions were signed out."
        await self._refresh(me)

    @rx.event
    async def switch_mfa(self, on: bool):
        if (me := await self._me()) is None:
            return rx.redirect(routes.LOGIN)
        self.mfa_error = ""
        if not on:
            # Turning it off needs proof: the password, or a fresh code.
            self.confirm_open = True
            return None
        try:
            await asyncio.to_thread(
                _as_user, me, mfa.enable, settings=get_settings(), ctx=self._ctx()
            )
        except DomainError as exc:
            self.mfa_error = exc.message
            return None
        self.notice = "Sign-in now asks for a code sent to your email."
        await self._refresh(me)
        return None

    @rx.event
    def close_confirm(self) -> None:
        self.confirm_open, self.code_sent_to, self._confirm_id, self.mfa_error = False, "", "", ""

    @rx.event
    async def disable_with_password(self, form: dict):
        if (me := await self._me()) is None:
            return rx.redirect(routes.LOGIN)
        try:
            await asyncio.to_thread(
                _as_user,
                me,
                mfa.disable_with_password,
                settings=get_settings(),
                password=str(form.get("confirm_password_mfa", "")),
                ctx=self._ctx(),
            )
        except DomainError as exc:
            self.mfa_error = exc.message
            return None
        self.close_confirm()
        self.notice = "MFA is off."
        await self._refresh(me)
        return None

    @rx.event
    async def send_code(self):
        if (me := await self._me()) is None:
            return rx.redirect(routes.LOGIN)
        try:
            sent = await asyncio.to_thread(
                _as_user, me, mfa.send_disable_code, settings=get_settings(), ctx=self._ctx()
            )
        except DomainError as exc:
            self.mfa_error = exc.message
            return None
        self._confirm_id, self.code_sent_to, self.mfa_error = sent.otp_session_id, sent.sent_to, ""
        return None

    @rx.event
    async def disable_with_code(self, form: dict):
        if (me := await self._me()) is None:
            return rx.redirect(routes.LOGIN)
        try:
            if not self._confirm_id:
                raise ValidationFailed("Ask for a code first.")
            await asyncio.to_thread(
                _as_user,
                me,
                mfa.disable_with_code,
                settings=get_settings(),
                otp_session_id=self._confirm_id,
                code=str(form.get("mfa_code", "")),
                ctx=self._ctx(),
            )
        except DomainError as exc:
            self.mfa_error = exc.message
            return None
        self.close_confirm()
        self.notice = "MFA is off."
        await self._refresh(me)
        return None

    @rx.event
    async def unlink(self, provider: str):
        if (me := await self._me()) is None:
            return rx.redirect(routes.LOGIN)
        try:
            await asyncio.to_thread(
                _as_user,
                me,
                oauth.unlink,
                settings=get_settings(),
                provider=provider,
                ctx=self._ctx(),
            )
        except DomainError as exc:
            self.link_error = exc.message
            return None
        self.link_error = ""
        self.notice = f"{oauth.LABELS.get(provider, provider)} is no longer linked."
        await self._refresh(me)
        return None

    @rx.event
    async def sign_out_others(self):
        if (me := await self._me()) is None:
            return rx.redirect(routes.LOGIN)

        def work() -> int:
            with session_scope() as db:
                return profile.sign_out_others(
                    db, user_id=me.user_id, current_id=me.session_id, ctx=self._ctx()
                )

        ended = await asyncio.to_thread(work)
        self.notice = f"Signed out {ended} other session{'s' if ended != 1 else ''}."
        await self._refresh(me)
        return None


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
                            rx.text("Code sent to ", ProfileState.code_sent_to, size="2"),
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
                    rx.image(src="/" + item["name"] + ".svg", width="18px", height="18px", alt=""),
                    rx.text(item["label"]),
                    rx.spacer(),
                    rx.button(
                        "Unlink",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=ProfileState.unlink(item["name"]),
                        aria_label="Unlink " + item["label"],
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
            item["device"],
            rx.cond(item["current"] != "", rx.badge("This device", margin_left="0.5rem")),
        ),
        rx.table.cell(item["ip"]),
        rx.table.cell(item["last_seen"]),
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
            rx.table.body(rx.foreach(ProfileState.sessions, session_row)),
            width="100%",
        ),
        rx.button(
            "Sign out other sessions",
            on_click=ProfileState.sign_out_others,
            variant="soft",
            color_scheme="red",
        ),
    )


@protected_page(routes.PROFILE, "Profile", on_load=[ProfileState.load])
def profile_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Profile", size="7", as_="h1"),
        rx.cond(
            ProfileState.notice != "",
            rx.callout(
                ProfileState.notice, icon="check", color_scheme="green", role="status", width="100%"
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
