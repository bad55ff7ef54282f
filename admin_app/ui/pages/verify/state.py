"""The state of /verify: the waiting step, how the user is meeting it, the countdown."""

from __future__ import annotations

import asyncio

import reflex as rx

from admin_app import paths
from admin_app.security.codes import DIGITS
from admin_app.security.redirects import safe_next
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.factors import trusted
from admin_app.services.signin.plan import Method
from admin_app.settings import get_settings
from admin_app.ui import webauthn_js
from admin_app.ui.components.passkey_button import credential_of, failure_message
from admin_app.ui.navigation import post_to
from admin_app.ui.pages.verify import flow
from admin_app.ui.state.auth import AuthState, Undone, in_thread

EMAIL, TOTP, RECOVERY = Method.EMAIL.value, Method.TOTP.value, Method.RECOVERY.value
PASSKEY = Method.PASSKEY.value

PURPOSE_TEXT = {
    "signin": "We sent a sign-in code to",
    "mfa": "To finish signing in, enter the code we sent to",
    "factor": "To finish signing in, enter the code we sent to",
    "signup": "To create your account, enter the code we sent to",
}
HEADINGS = {
    PASSKEY: "Use your passkey",
    TOTP: "Enter the code from your authenticator app",
    RECOVERY: "Enter a recovery code",
    EMAIL: "Check your email",
}
LEADS = {
    PASSKEY: "To finish signing in, confirm it is you with a passkey you added to your "
    "account: your device will ask for your fingerprint, face, PIN or security key.",
    TOTP: "Open the authenticator app you added to your account and type the 6-digit "
    "code it shows now.",
    RECOVERY: "Type one of the recovery codes you saved when you added your authenticator "
    "app. Each code works once.",
}


class VerifyState(AuthState):
    # The parked sign-in's id stays on the server (underscore: backend-only).
    _otp_session_id: str = ""
    _next: str = paths.DASHBOARD
    _ticking: bool = False
    sent_to: str = ""
    purpose: str = "signin"
    # The ways this step may be met (first: the one offered first), the way
    # shown now, and whether the step's email code has gone out.
    methods: list[str] = [EMAIL]
    method: str = EMAIL
    mailed: bool = True
    code: str = ""
    # What was typed into the recovery field (kept when a try fails, for a typo).
    recovery: str = ""
    error: str = ""
    busy: bool = False
    resend_in: int = 0
    attempt: int = 0
    # What the status line says while the countdown runs ("" on the first code,
    # which the lead already tells about).
    sent_note: str = ""
    trust_offered: bool = False
    trust_days: int = 0
    trust: bool = False
    # The passkey request's attempt id (backend-only).
    _passkey_attempt: str = ""

    def _park(self, sent: CodeSent, next_path: str) -> None:
        """Called by /login and /signup: remember the waiting flow, then go to /verify."""
        self._next = next_path
        self.trust = False
        self._show_step(sent)
        self.sent_note = ""

    def _show_step(self, sent: CodeSent, method: str | None = None) -> None:
        """Show the step `sent` describes (a new one, or the same with a new code)."""
        self._otp_session_id = sent.otp_session_id
        self.sent_to = sent.sent_to
        self.purpose = sent.purpose
        self.resend_in = sent.resend_in
        self.methods = list(sent.methods) or [EMAIL]
        self.mailed = sent.mailed
        # A passkey, when the user holds one, is offered first: one touch.
        first = PASSKEY if PASSKEY in self.methods else self.methods[0]
        wanted = method or first
        self.method = wanted if wanted in self.methods else self.methods[0]
        settings = get_settings()
        self.trust_offered = sent.purpose in flow.SECOND_STEPS and trusted.offered(settings)
        self.trust_days = settings.factors.trust_browser_days
        self.trust = self.trust and self.trust_offered
        self.code, self.recovery, self.error, self.busy = "", "", "", False
        # A new `key` mounts the step's field afresh: empty, and focused.
        self.attempt += 1

    @rx.var
    def digits(self) -> list[str]:
        return [self.code[i] if i < len(self.code) else "" for i in range(DIGITS)]

    @rx.var
    def heading(self) -> str:
        return HEADINGS.get(self.method, HEADINGS[EMAIL])

    @rx.var
    def lead(self) -> str:
        if self.method in LEADS:
            return LEADS[self.method]
        return PURPOSE_TEXT.get(self.purpose, PURPOSE_TEXT["signin"])

    @rx.var
    def trust_label(self) -> str:
        days = self.trust_days
        return f"Trust this browser for {days} {'day' if days == 1 else 'days'}"

    @rx.var
    def status_line(self) -> str:
        """The polite live region's words: only a change of them is announced."""
        if self.method != EMAIL:
            return ""
        return self.sent_note if self.resend_in > 0 else "You can ask for a new code now."

    @rx.event
    async def load(self):
        query = self.router.url.query_parameters
        if flow_id := query.get("flow", ""):
            # A flow parked by an HTTP route (the OAuth callback), not by a page.
            sent = await in_thread(lambda db: flow.describe_flow(db, flow_id))
            if sent is None:
                return rx.redirect(paths.LOGIN)
            self._park(sent, safe_next(query.get("next")))
        if not self._otp_session_id:
            return rx.redirect(paths.LOGIN)
        return VerifyState.tick

    @rx.event(background=True)
    async def tick(self):
        """The visible resend countdown."""
        async with self:
            if self._ticking:
                return
            self._ticking = True
        try:
            while True:
                await asyncio.sleep(1)
                async with self:
                    if self.resend_in <= 0:
                        return
                    self.resend_in -= 1
        finally:
            async with self:
                self._ticking = False

    @rx.event
    async def type_code(self, value: str):
        self.code = "".join(ch for ch in value if ch.isdigit())[:DIGITS]
        if len(self.code) == DIGITS and not self.busy:
            return VerifyState.submit
        return None

    @rx.event
    def set_trust(self, checked: bool):
        self.trust = bool(checked) and self.trust_offered

    @rx.event
    async def submit(self, form: dict | None = None):
        if self.busy or self.method == PASSKEY:
            return
        if self.method == RECOVERY:
            self.recovery = str((form or {}).get("recovery_code", "")).strip()[:64]
            if not self.recovery:
                self.error = "Enter one of your recovery codes."
                return
            code = self.recovery
        elif len(self.code) != DIGITS:
            self.error = f"Enter the {DIGITS}-digit code."
            return
        else:
            code = self.code
        self.busy, self.error = True, ""
        yield
        step, method, trust = self._otp_session_id, self.method, self.trust
        ctx = self._request_context()
        outcome = await self._attempt(
            lambda db: flow.complete_step(
                db, otp_session_id=step, code=code, method=method, trust_browser=trust, ctx=ctx
            )
        )
        if isinstance(outcome, Undone):
            self.busy, self.code = False, ""
            self.attempt += 1
            return
        if isinstance(outcome, CodeSent):
            # Another step is due (an authenticator app after the email code).
            self._show_step(outcome)
            self.sent_note = ""
            yield VerifyState.tick
            return
        self._otp_session_id = ""
        yield post_to(paths.SESSION_HANDOFF, {"ticket": outcome, "next": self._next})

    @rx.event
    async def use_passkey(self):
        """Ask the browser for one of the user's passkeys, against a challenge bound
        to this step."""
        if self.busy or self.method != PASSKEY:
            return
        self.busy, self.error = True, ""
        yield
        step = self._otp_session_id
        made = await self._attempt(lambda db: flow.passkey_options(db, otp_session_id=step))
        if isinstance(made, Undone):
            self.busy = False
            return
        self._passkey_attempt = made.attempt_id
        yield rx.call_script(
            webauthn_js.get_call(made.options_json, conditional=False),
            callback=VerifyState.finish_passkey,
        )

    @rx.event
    async def finish_passkey(self, result: dict):
        """The passkey request settled: meet the step with its credential, or say why not
        (the step's other ways stay offered)."""
        attempt, self._passkey_attempt = self._passkey_attempt, ""
        credential = credential_of(result)
        if credential is None or not attempt or self.method != PASSKEY:
            self.busy = False
            self.error = failure_message(result, other="use another way below")
            self.attempt += 1
            return
        step, trust = self._otp_session_id, self.trust
        ctx = self._request_context()
        outcome = await self._attempt(
            lambda db: flow.complete_step(
                db,
                otp_session_id=step,
                code=credential,
                method=PASSKEY,
                trust_browser=trust,
                ctx=ctx,
            )
        )
        if isinstance(outcome, Undone):
            self.busy = False
            self.attempt += 1
            return
        if isinstance(outcome, CodeSent):
            self._show_step(outcome)
            self.sent_note = ""
            yield VerifyState.tick
            return
        self._otp_session_id = ""
        yield post_to(paths.SESSION_HANDOFF, {"ticket": outcome, "next": self._next})

    @rx.event
    async def use_method(self, method: str):
        """Switch the way of meeting this step; the email code is mailed when first picked."""
        if self.busy or method not in self.methods or method == self.method:
            return
        if method == EMAIL and not self.mailed:
            async for update in self._mail_code(first=True):
                yield update
            return
        self.method, self.code, self.error = method, "", ""
        self.attempt += 1

    @rx.event
    async def resend(self):
        if self.resend_in > 0 or self.busy:
            return
        async for update in self._mail_code(first=False):
            yield update

    async def _mail_code(self, *, first: bool):
        self.busy, self.error = True, ""
        yield
        step, ctx = self._otp_session_id, self._request_context()
        sent = await self._attempt(lambda db: flow.send_code(db, otp_session_id=step, ctx=ctx))
        if isinstance(sent, Undone):
            self.busy = False
            return
        # A decoy's stand-in wait, on the event loop, not a thread.
        await asyncio.sleep(sent.delay)
        self._show_step(sent, method=EMAIL)
        self.sent_note = f"We sent {'a' if first else 'a new'} code to {sent.sent_to}."
        yield VerifyState.tick
