"""The state of /login: the mode's form, the passkey button and autofill, and
the notices a redirect back here carries (`?error=`).

In every mode a passkey signs in too: by the "Sign in with a passkey" button,
or by the identifier field's autofill (a conditional WebAuthn request started
after the page loads, where the browser offers one). Either way the browser
answers a challenge the server made (`services/signin/with_passkey`); no
identifier is typed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from admin_app import paths
from admin_app.security.redirects import safe_next
from admin_app.services.accounts import reset_links
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.signin.identities import describe_methods
from admin_app.settings import get_settings
from admin_app.ui import webauthn_js
from admin_app.ui.components.passkey_button import (
    credential_of,
    failure_message,
)
from admin_app.ui.components.providers import (
    LABELS,
    ProviderEntry,
    provider_entries,
)
from admin_app.ui.navigation import post_to
from admin_app.ui.pages.login.flow import begin_sign_in, passkey_options, passkey_step
from admin_app.ui.pages.verify.state import VerifyState
from admin_app.ui.state.auth import AuthState, Undone

NOTICES = {
    "expired": "Your sign-in took too long to finish. Please sign in again.",
    "oauth_denied": "The sign-in with {provider} was cancelled or refused.",
    "oauth_state": "That sign-in link was not valid any more. Please try again.",
    "oauth_unavailable": "{provider} could not be reached. Please try again in a moment.",
    "oauth_unknown": "That sign-in provider is not set up here.",
    "account_exists": "An account with this email already exists; it signs in with {ways}.",
    "email_not_verified": "{provider} did not share a confirmed email address, which a new "
    "account needs.",
    "signup_disabled": "There is no account for this {provider} sign-in, and sign-up is "
    "turned off here.",
    "account_disabled": "This account is disabled. Ask an administrator to enable it.",
}


def notice(query: dict[str, str]) -> str:
    """The message for `?error=`; every word comes from a whitelist, none from the URL."""
    template = NOTICES.get(query.get("error", ""), "")
    provider = LABELS.get(query.get("provider", ""), "The provider")
    ways = describe_methods(query.get("ways", "").split(","))
    return template.format(provider=provider, ways=ways)


class LoginState(AuthState):
    uses_password: bool = True
    forgot_offered: bool = False
    providers: list[ProviderEntry] = []
    signup_enabled: bool = False
    loaded: bool = False
    busy: bool = False
    passkey_busy: bool = False
    error: str = ""
    # The passkey attempts' ids stay on the server (underscore: backend-only):
    # the button's, and the autofill's (conditional mediation).
    _passkey_attempt: str = ""
    _autofill_attempt: str = ""
    _autofill_error: str = ""

    def _next(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    @rx.event
    async def load(self):
        user = await self._session_user()
        if user is None:
            # Signed out, however it ended: the next sign-in on this tab
            # starts from empty page states.
            (await self.get_state(AuthState))._forget_everything()
        settings = get_settings()
        self.uses_password = settings.uses_passwords
        self.signup_enabled = settings.signup_enabled
        # Only where mail is the channel anyway; in password mode an admin resets.
        self.forgot_offered = reset_links.forgot_offered(settings)
        self.busy = self.passkey_busy = False
        self.error = notice(dict(self.router.url.query_parameters))
        self.providers = provider_entries([p.name for p in settings.oauth], self._next())
        if user is not None:
            return rx.redirect(self._next())
        self.loaded = True
        # Last: the autofill's request may wait for as long as the page is open.
        return rx.call_script(
            webauthn_js.conditional_available_call(), callback=LoginState.offer_autofill
        )

    @rx.event
    async def submit(self, form: dict):
        if self.busy:
            return
        self.busy, self.error = True, ""
        yield
        identifier = str(form.get("identifier", ""))
        password = str(form.get("password", "")) if self.uses_password else None
        ctx = self._request_context()
        outcome = await self._caught(begin_sign_in(identifier, password, ctx))
        if isinstance(outcome, Undone):
            self.busy = False
            return
        yield await self._onward(outcome)

    async def _onward(self, outcome: str | CodeSent) -> Any:
        """Where a sign-in goes next: /verify when a step is left, else the cookie
        hand-off with the ticket (the busy flags stay on: the page is about to be
        replaced by the navigation)."""
        if not isinstance(outcome, CodeSent):
            return post_to(paths.SESSION_HANDOFF, {"ticket": outcome, "next": self._next()})
        if outcome.delay:
            # An unknown address's stand-in wait, on the event loop, not a thread.
            await asyncio.sleep(outcome.delay)
        verify = await self.get_state(VerifyState)
        verify._park(outcome, self._next())
        self.busy = self.passkey_busy = False
        return rx.redirect(paths.VERIFY)

    @rx.event
    async def offer_autofill(self, available: bool):
        """The browser said whether it offers passkeys in autofill: if it does, a
        conditional request waits for the user to pick one from the identifier
        field (no challenge is made where it does not)."""
        if available is not True or self.signed_in or self.busy or self.passkey_busy:
            return None
        ctx = self._request_context()
        # A refusal (too many requests from this network) is not shown here:
        # the button says it when used.
        made = await self._attempt(lambda db: passkey_options(db, ctx), error="_autofill_error")
        if isinstance(made, Undone):
            return None
        self._autofill_attempt = made.attempt_id
        return rx.call_script(
            webauthn_js.get_call(made.options_json, conditional=True),
            callback=LoginState.finish_autofill,
        )

    @rx.event
    async def use_passkey(self):
        """The button: a modal passkey request (it ends the autofill's, if any)."""
        if self.busy or self.passkey_busy:
            return
        self.passkey_busy, self.error = True, ""
        yield
        ctx = self._request_context()
        made = await self._attempt(lambda db: passkey_options(db, ctx))
        if isinstance(made, Undone):
            self.passkey_busy = False
            return
        self._passkey_attempt = made.attempt_id
        yield rx.call_script(
            webauthn_js.get_call(made.options_json, conditional=False),
            callback=LoginState.finish_passkey,
        )

    @rx.event
    async def finish_passkey(self, result: dict):
        """The button's request settled: sign in with its credential, or say why not."""
        attempt, self._passkey_attempt = self._passkey_attempt, ""
        credential = credential_of(result)
        if credential is None or not attempt:
            self.passkey_busy = False
            self.error = failure_message(result)
            return
        yield await self._sign_in_with(attempt, credential)

    @rx.event
    async def finish_autofill(self, result: dict):
        """The autofill's request settled. Nothing is said when it gave no
        credential: it was ended by the button (AbortError), or the browser
        had nothing to offer; the page is as it was."""
        credential = credential_of(result)
        # A failure leaves the attempt alone: an AbortError may be an older
        # request's, ended by the one this attempt id now belongs to.
        if credential is None or not self._autofill_attempt:
            return
        attempt, self._autofill_attempt = self._autofill_attempt, ""
        if self.busy or self.passkey_busy:
            return
        self.passkey_busy, self.error = True, ""
        yield
        yield await self._sign_in_with(attempt, credential)

    async def _sign_in_with(self, attempt: str, credential: str) -> Any:
        ctx = self._request_context()
        outcome = await self._attempt(lambda db: passkey_step(db, attempt, credential, ctx))
        if isinstance(outcome, Undone):
            self.passkey_busy = False
            return None
        return await self._onward(outcome)
