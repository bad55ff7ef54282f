"""Adding and removing one's own passkeys, on /profile and on /setup-mfa.

Adding is the ceremony's two halves: `start_passkey` asks the service for
the options (after "Confirm it's you" when the proof is stale: `_sensitive`
runs it again) and hands them to the browser's `navigator.credentials.create`
(ui/webauthn_js.py); the browser's answer comes back to `finish_passkey`,
which gives the new credential to the service. A first strong factor brings
recovery codes: they are shown once, as with a first authenticator app
(ui/state/app_setup.py), and never kept here. The list itself is
FactorsState's, loaded with the rest of the account's factors.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.factors import passkey_account, policy
from admin_app.services.passkeys.ceremony import Options
from admin_app.settings import get_settings
from admin_app.ui import webauthn_js
from admin_app.ui.components.passkey_button import credential_of, failure_name
from admin_app.ui.pages.profile.factors_state import FactorsState
from admin_app.ui.state.app_setup import show_recovery_codes
from admin_app.ui.state.auth import Undone

DEFAULT_NAME = "Passkey"

# What the page says when the browser made no passkey, by the DOMException's name.
# Cancelling is the user's choice, so it is said calmly (a status, not an error).
CALM = {
    "NotAllowedError": "No passkey was added: it was cancelled or took too long. "
    "You can try again.",
    "AbortError": "No passkey was added: it was cancelled. You can try again.",
    "InvalidStateError": "This device already holds a passkey for your account.",
}
FAILED = "This browser could not make a passkey. Try another browser or device."
UNSUPPORTED = "This browser does not support passkeys. Try another browser or device."


def _start(db: Session, me: Principal, name: str) -> Options:
    settings = get_settings()
    # As with an app (ui/state/app_setup.py): the policy, not the page, says
    # whether this user is due to enrol, and so needs no extra proof.
    enrolling = policy.enrolment_due(db, settings=settings, user=users.get(db, me.user_id))
    return passkey_account.start_adding(
        db, settings=settings, actor=me, name=name, enrolling=enrolling
    )


def refusal(result: Any) -> tuple[str, str]:
    """(calm notice, error) for a ceremony that made nothing; one of them is ""."""
    name = failure_name(result)
    if name in CALM:
        return CALM[name], ""
    return "", UNSUPPORTED if name == "NotSupportedError" else FAILED


class PasskeysState(FactorsState):
    passkey_open: bool = False
    # "name" (the form), then "codes" when the first strong factor brought recovery codes.
    passkey_step: str = "name"
    # The browser is asking for the passkey.
    passkey_busy: bool = False
    passkey_error: str = ""
    # A calm word when nothing was made (cancelled), as a status.
    passkey_hint: str = ""
    # The passkey a Remove is asking about (0: none).
    remove_passkey_id: int = 0
    remove_passkey_name: str = ""

    def _reset_passkey(self) -> None:
        self.passkey_open, self.passkey_busy, self.passkey_step = False, False, "name"
        self.passkey_error = self.passkey_hint = self.remove_passkey_name = ""
        self.remove_passkey_id = 0

    @rx.event
    def reset_passkey(self) -> None:
        """on_load: nothing of an earlier visit's dialog stays open."""
        self._reset_passkey()

    @rx.event
    async def open_passkey(self) -> None:
        await self._quiet()
        self._reset_passkey()
        self.passkey_open = True

    @rx.event
    def close_passkey(self) -> None:
        # The recovery codes, if shown, leave the page with the dialog's content.
        self._reset_passkey()

    @rx.event
    async def start_passkey(self, form: dict):
        if self.passkey_busy:
            return None  # the browser is asking already
        self.passkey_error = self.passkey_hint = ""
        await self._quiet()
        name = str(form.get("passkey_name", ""))
        started = await self._sensitive(
            lambda db, me: _start(db, me, name),
            retry="start_passkey",
            args=(form,),
            error="passkey_error",
        )
        if isinstance(started, Undone):
            if self.reauth_open:
                # One dialog at a time: "Confirm it's you" brings this one back, asking.
                self.passkey_open = False
            return None
        self.passkey_open, self.passkey_busy, self.passkey_step = True, True, "name"
        return rx.call_script(
            webauthn_js.create_call(started.options_json),
            callback=PasskeysState.finish_passkey,
        )

    @rx.event
    async def finish_passkey(self, result: Any):
        """The browser's answer to `start_passkey`'s options."""
        self.passkey_busy = False
        credential = credential_of(result)
        if credential is None:
            self.passkey_hint, self.passkey_error = refusal(result)
            return None
        ctx = self._request_context()
        added = await self._attempt(
            lambda db, me: passkey_account.finish_adding(
                db, settings=get_settings(), actor=me, credential=credential, ctx=ctx
            ),
            as_principal=True,
            error="passkey_error",
        )
        if isinstance(added, Undone):
            return None
        await self._refresh()
        self.factors_notice = f"“{added.passkey.name}” was added: sign-in can ask for it now."
        if not added.recovery_codes:
            self._reset_passkey()
            return None
        self.passkey_open, self.passkey_step = True, "codes"
        return show_recovery_codes(added.recovery_codes)

    @rx.event
    async def ask_remove_passkey(self, passkey_id: int, name: str) -> None:
        await self._quiet()
        self.remove_passkey_id, self.remove_passkey_name = int(passkey_id), name

    @rx.event
    def cancel_remove_passkey(self) -> None:
        self.remove_passkey_id = 0

    @rx.event
    async def remove_passkey(self, passkey_id: int, name: str) -> None:
        self.remove_passkey_id = 0
        await self._quiet()
        target, ctx = int(passkey_id), self._request_context()

        def work(db: Session, me: Principal) -> None:
            passkey_account.remove(
                db, settings=get_settings(), actor=me, passkey_id=target, ctx=ctx
            )

        done = await self._sensitive(
            work, retry="remove_passkey", args=(target, name), error="factors_error"
        )
        if isinstance(done, Undone):
            return
        self.factors_notice = f"Passkey “{name}” was removed."
        await self._refresh()
        if not self.apps and not self.passkeys:
            self.factors_notice += " With no second factor left, the recovery codes went too."
