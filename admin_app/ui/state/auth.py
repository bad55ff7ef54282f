"""The shared auth state: who is signed in, checked on the server at each page load.

The session cookie is HttpOnly: it is read here from the websocket handshake
(`router.headers.cookie`, never sent to the browser) and checked against the
session row on every protected page load.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, Literal, TypeVar, overload
from urllib.parse import quote

import reflex as rx
from sqlmodel import Session

from admin_app import paths
from admin_app.db import read_connection, session_scope
from admin_app.errors import DomainError
from admin_app.security.client_ip import client_ip
from admin_app.services.access import browser_sessions, fresh_proofs, principals
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import hashing_pool
from admin_app.services.request_context import RequestContext
from admin_app.settings import get_settings
from admin_app.ui import page_catalogue
from admin_app.ui.navigation import post_to

T = TypeVar("T")


@dataclass(frozen=True)
class Undone:
    """What `AuthState._attempt` returns when the work did not happen."""

    # The service's refusal, its message already shown; None when nobody was
    # signed in (the page shows nothing: the guard sends the visitor away).
    error: DomainError | None = None


async def in_thread(work: Callable[[Any], T], *, read: bool = False, argon2: bool = False) -> T:
    """`work(db)` in a worker thread: SQL, argon2 and mail never block the event loop.

    In one transaction that commits on success, or, for the hot read paths
    (`read`), on an autocommit connection. Work that runs argon2 (`argon2`)
    waits for a thread of the argon2 lane (`hashing_pool.admitted`), so a
    storm of sign-ins never fills the threads other users' page loads need.
    """

    def run() -> T:
        with read_connection() if read else session_scope() as db:
            return work(db)

    if argon2:
        return await hashing_pool.admitted(run)
    return await asyncio.to_thread(run)


def token_from_cookie(cookie_header: str, name: str = paths.COOKIE_NAME) -> str | None:
    """A cookie's value (the `token` cookie by default) from a Cookie header, if any."""
    try:
        jar = SimpleCookie(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


async def session_user(token: str | None) -> browser_sessions.SessionUser | None:
    """The signed-in user behind a session token, checked in a thread."""
    if not token:
        return None

    return await in_thread(
        lambda db: browser_sessions.current_user(db, settings=get_settings(), token=token),
        read=True,
    )


class AuthState(rx.State):
    signed_in: bool = False
    username: str = ""
    full_name: str = ""
    email: str = ""
    is_admin: bool = False
    permissions: list[str] = []
    # The permission this page needs and the user lacks ("" when let in).
    refused: str = ""
    # Backend-only (leading underscore): never sent to the browser.
    _user_id: int = 0
    _session_id: str = ""

    @rx.var
    def initials(self) -> str:
        parts = self.full_name.split()
        return "".join(part[0] for part in parts[:2]).upper() or self.username[:1].upper()

    def _token(self) -> str | None:
        return token_from_cookie(self.router.headers.cookie)

    def _request_context(self) -> RequestContext:
        headers = self.router.headers
        return RequestContext(
            ip=client_ip(
                self.router.session.client_ip,
                headers.raw_headers.get("x-forwarded-for"),
                get_settings().trusted_proxies,
            ),
            user_agent=headers.user_agent,
            trusted_browser=token_from_cookie(headers.cookie, paths.TRUSTED_BROWSER_COOKIE),
        )

    async def _session_user(self) -> browser_sessions.SessionUser | None:
        return await session_user(self._token())

    async def _principal(self) -> Principal | None:
        """The signed-in user with roles and permissions, re-checked on the server.

        Page actions pass this to the services, which check permissions
        themselves: hiding a button is not protection.
        """
        user = await self._session_user()
        self._show(user)
        if user is None:
            return None

        found = await in_thread(
            lambda db: principals.principal_for_user(db, user_id=user.user_id, stamp=None),
            read=True,
        )
        # A fresh proof of this browser session lets it make sensitive changes.
        return dataclasses.replace(found, proof_holder=fresh_proofs.session_holder(user.session_id))

    async def _allowed(self, permission: str) -> Principal | None:
        """The signed-in principal if it holds `permission`, else None.

        For an extension page's handlers: every handler checks on the server,
        since an event can be sent without the page that shows its button.
        """
        me = await self._principal()
        return me if me is not None and permission in me.permissions else None

    @overload
    async def _attempt(
        self,
        work: Callable[[Session], T],
        *,
        as_principal: Literal[False] = False,
        error: str | None = "error",
        argon2: bool = False,
    ) -> T | Undone: ...

    @overload
    async def _attempt(
        self,
        work: Callable[[Session, Principal], T],
        *,
        as_principal: Literal[True],
        error: str | None = "error",
        argon2: bool = False,
    ) -> T | Undone: ...

    async def _attempt(
        self,
        work: Callable[..., T],
        *,
        as_principal: bool = False,
        error: str | None = "error",
        argon2: bool = False,
    ) -> T | Undone:
        """A page's service call: `work(db)` in a worker thread, in one transaction.

        With `as_principal` the session is re-checked on the server first and
        the signed-in principal is handed on, `work(db, me)`; signed out,
        nothing runs. A DomainError's message lands in the state var named by
        `error` (None: the error is not caught). The page gets the result, or
        `Undone`. Read what `work` needs from the state before the call, not
        in the thread. Work that runs argon2 says so (`argon2`, see `in_thread`).
        """
        me = None
        if as_principal and (me := await self._principal()) is None:
            return Undone()
        return await self._caught(
            in_thread((lambda db: work(db, me)) if as_principal else work, argon2=argon2),
            error=error,
        )

    async def _caught(self, call: Awaitable[T], *, error: str | None = "error") -> T | Undone:
        """`await call`; a DomainError's message lands in the state var `error` (see
        `_attempt`)."""
        try:
            return await call
        except DomainError as exc:
            if error is None:
                raise
            setattr(self, error, exc.message)
            return Undone(exc)

    def _show(self, user: browser_sessions.SessionUser | None) -> None:
        self.signed_in = user is not None
        self.username = user.username if user else ""
        self.full_name = user.full_name if user else ""
        self.email = user.email if user else ""
        self.is_admin = user.is_admin if user else False
        self.permissions = list(user.permissions) if user else []
        self._user_id = user.user_id if user else 0
        self._session_id = user.session_id if user else ""

    @rx.event
    async def guard(self):
        """on_load of every protected page: signed-out visitors go to /login?next=,
        those without the page's permission are refused, the rest get the page's
        own on_load. The page is looked up on the server, by its route."""
        user = await self._session_user()
        if self._user_id and (user is None or user.user_id != self._user_id):
            # The session ended some other way (idle, revoked, disabled) or
            # another user signed in on this tab: nothing of the last one stays.
            self._forget_everything()
        self._show(user)
        page = page_catalogue.find(self.router.route_id)
        needed = page.permission if page else None
        held = user.permissions if user else ()
        self.refused = needed if user and needed and needed not in held else ""
        if user is None:
            self._forget_everything()
            path = self.router.url.path or paths.DASHBOARD
            query = self.router.url.query
            target = f"{path}?{query}" if query else path
            return rx.redirect(f"{paths.LOGIN}?next={quote(target, safe='/')}")
        if user.needs_factor and self.router.url.path != paths.SETUP_MFA:
            # MFA_REQUIRED: no page before an authenticator app is added.
            return rx.redirect(paths.SETUP_MFA)
        if page is None or self.refused:
            return None
        return list(page.on_load)

    def _forget_everything(self) -> None:
        """Reset this state and every page state under it: nothing of a signed-out
        user may reach the next page load of this tab."""
        pending = [self]
        while pending:
            state = pending.pop()
            state.reset()
            pending.extend(state.substates.values())

    @rx.event
    async def sign_out(self):
        self._forget_everything()
        # The tab's state is kept under its client token (sessionStorage):
        # drop it too, so the page after sign-out starts from a fresh state.
        return [rx.call_script("window.sessionStorage.clear()"), post_to(paths.SIGN_OUT)]
