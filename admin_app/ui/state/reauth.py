"""The "Confirm it's you" dialog's state: a fresh proof, then the action that asked for it.

A sensitive change (a new factor, new recovery codes, an API key, an Admin
grant, a reset link) raises ProofNeeded when the session's last proof is
older than REAUTH_MINUTES. The page's handler then calls `_sensitive`, which
opens this dialog and keeps, backend-only, which handler of which page state
to run again and with what arguments. Once the proof is accepted
(`reauth.reauthenticate`), that handler is sent as a new event: it runs
through every check again, as if the user had clicked once more.

Page states that hold such actions inherit from ReauthState; its vars live
once per tab, so one dialog component (components/reauth_dialog.py) serves
every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from admin_app.errors import ProofNeeded
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.signin import reauth
from admin_app.settings import get_settings
from admin_app.ui.state.auth import AuthState, Undone, in_thread

T = TypeVar("T")


class ReauthState(AuthState):
    reauth_open: bool = False
    # The proofs this user can give (reauth.METHODS order), and the one asked for now.
    reauth_methods: list[str] = []
    reauth_method: str = ""
    reauth_error: str = ""
    # Where the emailed code went ("" until one was sent).
    reauth_sent_to: str = ""
    reauth_busy: bool = False
    reauth_notice: str = ""
    _reauth_code_id: str = ""
    # What to run again once proved: {"state": full name, "handler": name, "args": [...]}.
    _reauth_retry: dict[str, Any] = {}

    async def _sensitive(
        self,
        work: Callable[[Session, Principal], T],
        *,
        retry: str,
        args: tuple[Any, ...] = (),
        error: str = "error",
    ) -> T | Undone:
        """`_attempt(work, as_principal=True)`; when the service wants a fresh proof,
        the dialog opens (instead of the error text) and `retry(*args)`, a handler
        of this page state, runs again after it."""
        done = await self._attempt(work, as_principal=True, error=error)
        if isinstance(done, Undone) and isinstance(done.error, ProofNeeded):
            setattr(self, error, "")
            await self._ask_proof(retry, args)
        return done

    async def _ask_proof(self, retry: str, args: tuple[Any, ...]) -> None:
        # Only a handler of this very state can be queued: the name never comes from the browser.
        if retry not in type(self).event_handlers:
            raise ValueError(f"{type(self).__name__} has no event handler {retry!r}")
        user_id = self._user_id
        methods = await in_thread(lambda db: reauth.methods_for(db, user=users.get(db, user_id)))
        self._reset_reauth()
        self.reauth_methods = list(methods)
        # The emailed code waits until asked for: no mail unless the user wants one.
        self.reauth_method = methods[0] if methods else "email"
        self._reauth_retry = {"state": type(self).get_full_name(), "handler": retry, "args": args}
        self.reauth_open = True

    def _reset_reauth(self) -> None:
        self.reauth_open, self.reauth_busy = False, False
        self.reauth_methods, self.reauth_method = [], ""
        self.reauth_error = self.reauth_sent_to = self.reauth_notice = ""
        self._reauth_code_id, self._reauth_retry = "", {}

    @rx.event
    def close_reauth(self) -> None:
        """Cancel or Escape: the action that asked is dropped."""
        self._reset_reauth()

    @rx.event
    async def choose_proof(self, method: str) -> None:
        """Switch to another way; "email" sends the code at once (one click, one mail)."""
        if method not in self.reauth_methods:
            return
        self.reauth_method, self.reauth_error = method, ""
        if method == "email" and not self._reauth_code_id:
            await self._send_proof_code()

    @rx.event
    async def email_proof_code(self) -> None:
        """The "email me a code" way (again): a "confirm" code to the user's own address."""
        if "email" in self.reauth_methods:
            self.reauth_method, self.reauth_error = "email", ""
            await self._send_proof_code()

    async def _send_proof_code(self) -> None:
        ctx = self._request_context()
        sent = await self._attempt(
            lambda db, me: reauth.send_code_for(
                db, settings=get_settings(), user=users.get(db, me.user_id), ctx=ctx
            ),
            as_principal=True,
            error="reauth_error",
        )
        if isinstance(sent, Undone):
            return
        self._reauth_code_id, self.reauth_sent_to = sent.otp_session_id, sent.sent_to

    @rx.event
    async def submit_proof(self, form: dict):
        method = self.reauth_method
        if method not in self.reauth_methods:
            return
        if method == "email" and not self._reauth_code_id:
            self.reauth_error = "Ask for a code first."
            return
        password = str(form.get("reauth_password", "")) if method == "password" else None
        code = None if method == "password" else str(form.get("reauth_code", ""))
        code_id, ctx = self._reauth_code_id or None, self._request_context()

        def work(db: Session, me: Principal) -> None:
            reauth.reauthenticate(
                db,
                settings=get_settings(),
                actor=me,
                user=users.get(db, me.user_id),
                method=method,
                ctx=ctx,
                password=password,
                code=code,
                otp_session_id=code_id if method == "email" else None,
            )

        self.reauth_busy, self.reauth_error = True, ""
        yield
        done = await self._attempt(
            work, as_principal=True, error="reauth_error", argon2=method == "password"
        )
        self.reauth_busy = False
        if isinstance(done, Undone):
            return
        retry = self._reauth_retry
        self._reset_reauth()
        again = _retry_event(retry)
        if again is None:
            self.reauth_notice = "Confirmed. You can go on."
            return
        yield again


def _retry_event(retry: dict[str, Any]) -> Any:
    """The page handler kept by `_ask_proof`, as an event to send (None when there is none)."""
    if not retry:
        return None
    try:
        state = rx.State.get_class_substate(retry["state"])
    except ValueError:
        return None
    handler = state.event_handlers.get(retry["handler"])
    return None if handler is None else getattr(state, retry["handler"])(*retry["args"])
