"""The state behind /profile: every action re-checks the session first."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx

from admin_app import paths
from admin_app.db import session_scope
from admin_app.errors import DomainError, ValidationFailed
from admin_app.services.access.browser_sessions import SessionUser
from admin_app.services.accounts import profile, users
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import mfa, oauth
from admin_app.settings import get_settings
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
    password_code_sent_to: str = ""
    _password_code_id: str = ""

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
            return rx.redirect(paths.LOGIN)
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
            yield rx.redirect(paths.LOGIN)
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
                otp_session_id=self._password_code_id or None,
                code=str(form.get("password_code", "")) or None,
            )
        except DomainError as exc:
            self.busy, self.password_error = False, exc.message
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
        try:
            sent = await asyncio.to_thread(
                _as_user, me, profile.send_password_code, settings=get_settings(), ctx=self._ctx()
            )
        except DomainError as exc:
            self.password_error = exc.message
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
            return rx.redirect(paths.LOGIN)
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
            return rx.redirect(paths.LOGIN)
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
            return rx.redirect(paths.LOGIN)
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
            return rx.redirect(paths.LOGIN)
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
            return rx.redirect(paths.LOGIN)

        def work() -> int:
            with session_scope() as db:
                return profile.sign_out_others(
                    db, user_id=me.user_id, current_id=me.session_id, ctx=self._ctx()
                )

        ended = await asyncio.to_thread(work)
        self.notice = f"Signed out {ended} other session{'s' if ended != 1 else ''}."
        await self._refresh(me)
        return None
