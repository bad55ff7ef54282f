"""/verify: the code screen of sign-in, sign-up and MFA.

One real input (so paste, the phone's one-time-code autofill, screen
readers and the keyboard all work) lies over six boxes that show the digits;
the sixth digit submits.
"""

from __future__ import annotations

import asyncio

import reflex as rx
from sqlmodel import Session

from admin_app import paths
from admin_app.errors import DomainError
from admin_app.security.codes import DIGITS
from admin_app.security.redirects import safe_next
from admin_app.services.email_codes import code_step, code_store
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import stages
from admin_app.settings import get_settings
from admin_app.ui.components.auth_card import auth_card, form_error
from admin_app.ui.navigation import post_to
from admin_app.ui.state.auth import AuthState, Undone, in_thread

PURPOSE_TEXT = {
    "signin": "We sent a sign-in code to",
    "mfa": "To finish signing in, enter the code we sent to",
    "signup": "To create your account, enter the code we sent to",
}


def complete_with_code(db: Session, otp_session_id: str, code: str, ctx: RequestContext) -> str:
    """Blocking: check the code, open the session, return the cookie hand-off ticket."""
    settings = get_settings()
    user = stages.complete(db, settings=settings, otp_session_id=otp_session_id, code=code, ctx=ctx)
    return stages.browser_ticket(db, settings=settings, user=user, ctx=ctx, method="code")


def describe_flow(db: Session, otp_session_id: str) -> CodeSent | None:
    """The waiting flow an HTTP route parked under `otp_session_id`, if it still waits."""
    try:
        return code_step.code_sent(code_store.pending(db, otp_session_id))
    except DomainError:
        return None


class VerifyState(AuthState):
    # The parked sign-in's id stays on the server (underscore: backend-only).
    _otp_session_id: str = ""
    _next: str = paths.DASHBOARD
    _ticking: bool = False
    sent_to: str = ""
    purpose: str = "signin"
    code: str = ""
    error: str = ""
    busy: bool = False
    resend_in: int = 0
    attempt: int = 0
    # A new code went out from this page (what the status line announces).
    resent: bool = False

    def _park(self, sent: CodeSent, next_path: str) -> None:
        """Called by /login and /signup: remember the waiting flow, then go to /verify."""
        self._otp_session_id = sent.otp_session_id
        self._next = next_path
        self.sent_to = sent.sent_to
        self.purpose = sent.purpose
        self.resend_in = sent.resend_in
        self.code, self.error, self.busy = "", "", False
        self.resent = False
        self.attempt += 1

    @rx.var
    def digits(self) -> list[str]:
        return [self.code[i] if i < len(self.code) else "" for i in range(DIGITS)]

    @rx.var
    def lead(self) -> str:
        return PURPOSE_TEXT.get(self.purpose, PURPOSE_TEXT["signin"])

    @rx.event
    async def load(self):
        flow = self.router.url.query_parameters.get("flow", "")
        if flow:
            # A flow parked by an HTTP route (the OAuth callback), not by a page.
            sent = await in_thread(lambda db: describe_flow(db, flow))
            if sent is None:
                return rx.redirect(paths.LOGIN)
            self._park(sent, safe_next(self.router.url.query_parameters.get("next")))
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
    async def submit(self, _form: dict | None = None):
        if self.busy or len(self.code) != DIGITS:
            if len(self.code) != DIGITS:
                self.error = f"Enter the {DIGITS}-digit code."
            return
        self.busy, self.error = True, ""
        yield
        flow, code, ctx = self._otp_session_id, self.code, self._request_context()
        ticket = await self._attempt(lambda db: complete_with_code(db, flow, code, ctx))
        if isinstance(ticket, Undone):
            self.busy, self.code = False, ""
            self.attempt += 1
            return
        self._otp_session_id = ""
        yield post_to(paths.SESSION_HANDOFF, {"ticket": ticket, "next": self._next})

    @rx.event
    async def resend(self):
        if self.resend_in > 0 or self.busy:
            return
        self.busy = True
        yield
        flow, ctx = self._otp_session_id, self._request_context()
        sent = await self._attempt(
            lambda db: stages.resend(db, settings=get_settings(), otp_session_id=flow, ctx=ctx)
        )
        if isinstance(sent, Undone):
            self.busy = False
            return
        # A decoy's stand-in wait, on the event loop, not a thread.
        await asyncio.sleep(sent.delay)
        self._park(sent, self._next)
        self.error, self.resent = "", True
        yield VerifyState.tick


def digit_box(index: int) -> rx.Component:
    filled = VerifyState.digits[index] != ""
    current = VerifyState.code.length() == index
    return rx.center(
        rx.text(VerifyState.digits[index], size="6", weight="bold"),
        width="2.75rem",
        height="3.25rem",
        border_radius="var(--radius-3)",
        border=rx.cond(
            current,
            f"2px solid {rx.color('accent', 9)}",
            rx.cond(filled, f"1px solid {rx.color('gray', 9)}", f"1px solid {rx.color('gray', 7)}"),
        ),
        background=rx.color("gray", 1),
    )


def code_input() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            "Verification code", html_for="code", style={"fontWeight": 500, "fontSize": "0.875rem"}
        ),
        rx.box(
            rx.hstack(*[digit_box(i) for i in range(DIGITS)], spacing="2", aria_hidden="true"),
            # Uncontrolled: a value echoed back from the server would race fast
            # typing and drop digits. A new `key` mounts a fresh, empty input.
            rx.el.input(
                id="code",
                name="code",
                key=VerifyState.attempt,
                on_change=VerifyState.type_code,
                input_mode="numeric",
                auto_complete="one-time-code",
                max_length=DIGITS,
                auto_focus=True,
                disabled=VerifyState.busy,
                style={
                    "position": "absolute",
                    "inset": "0",
                    "width": "100%",
                    "opacity": "0",
                    "cursor": "text",
                    "fontSize": "16px",
                },
            ),
            position="relative",
            # The real input is transparent: its focus ring is drawn round the boxes.
            border_radius="var(--radius-3)",
            _focus_within={"outline": "2px solid var(--focus-8)", "outline_offset": "4px"},
        ),
        spacing="2",
        align="center",
        width="100%",
    )


def resend_status() -> rx.Component:
    """Always on the page, so screen readers announce each change of its words: a new
    code sent, and the end of the countdown (the countdown itself is not announced)."""
    return rx.text(
        rx.cond(
            VerifyState.resend_in > 0,
            rx.cond(VerifyState.resent, "We sent a new code to " + VerifyState.sent_to + ".", ""),
            "You can ask for a new code now.",
        ),
        id="resend-status",
        role="status",
        aria_live="polite",
        size="2",
        color_scheme="gray",
    )


def resend_button() -> rx.Component:
    return rx.button(
        rx.cond(
            VerifyState.resend_in > 0,
            rx.text("Resend code in ", VerifyState.resend_in, " s"),
            rx.text("Resend code"),
        ),
        on_click=VerifyState.resend,
        disabled=VerifyState.resend_in > 0,
        variant="ghost",
        type="button",
    )


@rx.page(
    route=paths.VERIFY,
    title=f"Enter your code | {get_settings().app_name}",
    on_load=VerifyState.load,
)
def verify_page() -> rx.Component:
    return auth_card(
        rx.text(VerifyState.lead, " ", rx.text.strong(VerifyState.sent_to), ".", size="2"),
        rx.form(
            rx.vstack(
                form_error(VerifyState.error),
                code_input(),
                rx.button(
                    "Verify", type="submit", loading=VerifyState.busy, size="3", width="100%"
                ),
                spacing="4",
                width="100%",
            ),
            on_submit=VerifyState.submit,
            width="100%",
        ),
        rx.hstack(
            resend_button(),
            rx.link("Start over", href=paths.LOGIN, size="2"),
            justify="between",
            width="100%",
            align="center",
        ),
        resend_status(),
        subtitle="Check your email",
    )
