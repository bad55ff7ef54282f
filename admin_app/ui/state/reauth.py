"""The "Confirm it's you" dialog's state: a fresh proof, then the action that asked for it.

A sensitive change (a new factor, new recovery codes, an API key, an Admin
grant, a reset link) raises ProofNeeded when the session's last proof is
older than REAUTH_MINUTES. The page's handler then calls `_sensitive`, which
opens this dialog and keeps, backend-only, which handler of which page state
to run again and with what arguments. Once the proof is accepted
(`reauth.reauthenticate`), that handler is sent as a new event: it runs
through every check again, as if the user had clicked once more.

A passkey proves it in the browser: `_ask_passkey` hands the service's
options to `navigator.credentials.get` (ui/webauthn_js.py) and the answer
comes back to `passkey_proved`, which checks it like any other proof.

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
from admin_app.ui import webauthn_js
from admin_app.ui.components.passkey_button import credential_of, failure_name
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
    # A calm word in the dialog (a passkey prompt cancelled), as a status.
    reauth_hint: str = ""
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
        self.reauth_error = self.reauth_sent_to = self.reauth_notice = self.reauth_hint = ""
        self._reauth_code_id, self._reauth_retry = "", {}

    @rx.event
    def close_reauth(self) -> None:
        """Cancel or Escape: the action that asked is dropped."""
        self._reset_reauth()

    @rx.event
    async def choose_proof(self, method: str):
        """Switch to another way; "email" sends the code at once (one click, one mail),
        "passkey" asks the browser for one at once."""
        if method not in self.reauth_methods:
            return None
        self.reauth_method, self.reauth_error, self.reauth_hint = method, "", ""
        if method == "email" and not self._reauth_code_id:
            await self._send_proof_code()
        if method == "passkey":
            return await self._ask_passkey()
        return None

    @rx.event
    async def use_passkey(self):
        """The passkey way's button (again, after a cancelled prompt)."""
        if "passkey" not in self.reauth_methods or self.reauth_busy:
            return None
        self.reauth_method, self.reauth_error, self.reauth_hint = "passkey", "", ""
        return await self._ask_passkey()

    async def _ask_passkey(self) -> Any:
        options = await self._attempt(
            lambda db, me: reauth.passkey_options(
                db, settings=get_settings(), actor=me, user=users.get(db, me.user_id)
            ),
            as_principal=True,
            error="reauth_error",
        )
        if isinstance(options, Undone):
            return None
        self.reauth_busy = True
        return rx.call_script(
            webauthn_js.get_call(options.options_json, conditional=False),
            callback=ReauthState.passkey_proved,
        )

    @rx.event
    async def passkey_proved(self, result: Any):
        """The browser's answer to `_ask_passkey`'s options."""
        self.reauth_busy = False
        if not self.reauth_open or self.reauth_method != "passkey":
            return  # cancelled meanwhile: the answer has nothing left to prove
        credential = credential_of(result)
        if credential is None:
            if failure_name(result) in ("NotAllowedError", "AbortError"):
                self.reauth_hint = (
                    "The passkey was not used: it was cancelled or took too long. "
                    "Try again, or choose another way."
                )
            else:
                self.reauth_error = "This browser could not use a passkey. Choose another way."
            return
        self.reauth_busy, self.reauth_error, self.reauth_hint = True, "", ""
        yield
        proved = await self._prove("passkey", code=credential)
        self.reauth_busy = False
        if proved:
            again = self._after_proof()
            if again is not None:
                yield again

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
        if method not in self.reauth_methods or method == "passkey":
            return
        if method == "email" and not self._reauth_code_id:
            self.reauth_error = "Ask for a code first."
            return
        password = str(form.get("reauth_password", "")) if method == "password" else None
        code = None if method == "password" else str(form.get("reauth_code", ""))
        self.reauth_busy, self.reauth_error, self.reauth_hint = True, "", ""
        yield
        proved = await self._prove(method, password=password, code=code)
        self.reauth_busy = False
        if proved:
            again = self._after_proof()
            if again is not None:
                yield again

    async def _prove(
        self, method: str, *, password: str | None = None, code: str | None = None
    ) -> bool:
        """`reauth.reauthenticate` with this proof; a refusal lands in reauth_error."""
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

        done = await self._attempt(
            work, as_principal=True, error="reauth_error", argon2=method == "password"
        )
        return not isinstance(done, Undone)

    def _after_proof(self) -> Any:
        """Close the dialog; the action that asked, as an event to send (or a notice)."""
        retry = self._reauth_retry
        self._reset_reauth()
        again = _retry_event(retry)
        if again is None:
            self.reauth_notice = "Confirmed. You can go on."
        return again


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
