"""The state behind /profile: every action re-checks the session first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from admin_app import paths
from admin_app.services.access.browser_sessions import SessionUser
from admin_app.services.accounts import profile, users
from admin_app.services.signin import identities, mfa
from admin_app.settings import get_settings
from admin_app.ui.pages.profile.snapshot import LinkedProvider, SessionLine, snapshot
from admin_app.ui.state.auth import AuthState, Undone, in_thread

T = TypeVar("T")


def _as_user(me: SessionUser, service: Callable[..., T], **kwargs: Any) -> Callable[[Session], T]:
    """`service(db, user=<the signed-in user>, **kwargs)`, to run in one transaction."""
    return lambda db: service(db, user=users.get(db, me.user_id), **kwargs)


class ProfileState(AuthState):
    has_password: bool = False
    uses_password: bool = True
    mfa_enabled: bool = False
    mfa_always_on: bool = False
    sessions: list[SessionLine] = []
    linked: list[LinkedProvider] = []
    link_error: str = ""
    notice: str = ""
    name_error: str = ""
    password_error: str = ""
    mfa_error: str = ""
    confirm_open: bool = False
    code_sent_to: str = ""
    busy: bool = False
    _confirm_id: str = ""
    password_code_sent_to: str = ""
    _password_code_id: str = ""

    async def _me(self) -> SessionUser | None:
        """Every action re-checks the session on the server first."""
        me = await self._session_user()
        self._show(me)
        return me

    async def _refresh(self, me: SessionUser) -> None:
        data = await in_thread(_as_user(me, snapshot, session_id=me.session_id))
        self.full_name = data.full_name
        self.has_password = data.has_password
        self.mfa_enabled = data.mfa_enabled
        self.sessions = data.sessions
        self.linked = data.linked

    @rx.event
    async def load(self) -> None:
        settings = get_settings()
        self.uses_password = settings.uses_passwords
        self.mfa_always_on = mfa.always_on(settings)
        self.notice = self.name_error = self.password_error = self.mfa_error = ""
        self.confirm_open = False
        if (me := await self._me()) is not None:
            await self._refresh(me)

    @rx.event
    async def save_name(self, form: dict):
        if (me := await self._me()) is None:
            return rx.redirect(paths.LOGIN)
        renamed = await self._attempt(
            _as_user(
                me,
                profile.rename,
                full_name=str(form.get("full_name", "")),
                ctx=self._request_context(),
            ),
            error="name_error",
        )
        if isinstance(renamed, Undone):
            return None
        self.name_error, self.notice = "", "Your name was saved."
        await self._refresh(me)
        return None

    @rx.event
    async def change_password(self, form: dict):
        if (me := await self._me()) is None:
            yield rx.redirect(paths.LOGIN)
            return
        new = str(form.get("new_password", ""))
        if new != str(form.get("confirm_password", "")):
            self.password_error = "The two new passwords differ."  # noqa: S105 (a message)
            return
        self.busy = True
        yield
        changed = await self._attempt(
            _as_user(
                me,
                profile.change_password,
                settings=get_settings(),
                current=str(form.get("current_password", "")),
                new=new,
                ctx=self._request_context(),
                current_session_id=me.session_id,
                otp_session_id=self._password_code_id or None,
                code=str(form.get("password_code", "")) or None,
            ),
            error="password_error",
        )
        if isinstance(changed, Undone):
            self.busy = False
            return
        self.busy, self.password_error = False, ""
        self._password_code_id, self.password_code_sent_to = "", ""
        self.notice = (
            "Password changed. Your other sessions were signed out and your API keys were revoked."
        )
        await self._refresh(me)

    @rx.event
    async def send_password_code(self):
        if (me := await self._me()) is None:
            return rx.redirect(paths.LOGIN)
        sent = await self._attempt(
            _as_user(
                me,
                profile.send_password_code,
                settings=get_settings(),
                ctx=self._request_context(),
            ),
            error="password_error",
        )
        if isinstance(sent, Undone):
            return None
        self._password_code_id, self.password_code_sent_to = sent.otp_session_id, sent.sent_to
        self.password_error = ""
        return None

    @rx.event
    async def switch_mfa(self, on: bool):
        if (me := await self._me()) is None:
            return rx.redirect(paths.LOGIN)
        self.mfa_error = ""
        if not on:
            # Turning it off needs proof: the password, or a fresh code.
            self.confirm_open = True
            return None
        enabled = await self._attempt(
            _as_user(me, mfa.enable, settings=get_settings(), ctx=self._request_context()),
            error="mfa_error",
        )
        if isinstance(enabled, Undone):
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
            return rx.redirect(paths.LOGIN)
        disabled = await self._attempt(
            _as_user(
                me,
                mfa.disable_with_password,
                settings=get_settings(),
                password=str(form.get("confirm_password_mfa", "")),
                ctx=self._request_context(),
            ),
            error="mfa_error",
        )
        if isinstance(disabled, Undone):
            return None
        self.close_confirm()
        self.notice = "MFA is off."
        await self._refresh(me)
        return None

    @rx.event
    async def send_code(self):
        if (me := await self._me()) is None:
            return rx.redirect(paths.LOGIN)
        sent = await self._attempt(
            _as_user(
                me, mfa.send_disable_code, settings=get_settings(), ctx=self._request_context()
            ),
            error="mfa_error",
        )
        if isinstance(sent, Undone):
            return None
        self._confirm_id, self.code_sent_to, self.mfa_error = sent.otp_session_id, sent.sent_to, ""
        return None

    @rx.event
    async def disable_with_code(self, form: dict):
        if (me := await self._me()) is None:
            return rx.redirect(paths.LOGIN)
        if not self._confirm_id:
            self.mfa_error = "Ask for a code first."
            return None
        disabled = await self._attempt(
            _as_user(
                me,
                mfa.disable_with_code,
                settings=get_settings(),
                otp_session_id=self._confirm_id,
                code=str(form.get("mfa_code", "")),
                ctx=self._request_context(),
            ),
            error="mfa_error",
        )
        if isinstance(disabled, Undone):
            return None
        self.close_confirm()
        self.notice = "MFA is off."
        await self._refresh(me)
        return None

    @rx.event
    async def unlink(self, provider: str):
        if (me := await self._me()) is None:
            return rx.redirect(paths.LOGIN)
        unlinked = await self._attempt(
            _as_user(
                me,
                identities.unlink,
                settings=get_settings(),
                provider=provider,
                ctx=self._request_context(),
            ),
            error="link_error",
        )
        if isinstance(unlinked, Undone):
            return None
        self.link_error = ""
        self.notice = f"{identities.LABELS.get(provider, provider)} is no longer linked."
        await self._refresh(me)
        return None

    @rx.event
    async def sign_out_others(self):
        if (me := await self._me()) is None:
            return rx.redirect(paths.LOGIN)
        ctx = self._request_context()
        ended = await in_thread(
            lambda db: profile.sign_out_others(
                db, user_id=me.user_id, current_id=me.session_id, ctx=ctx
            )
        )
        self.notice = f"Signed out {ended} other session{'s' if ended != 1 else ''}."
        await self._refresh(me)
        return None
