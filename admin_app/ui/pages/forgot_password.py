"""/forgot-password: a reset link by mail, in the modes where mail is the channel."""

from __future__ import annotations

import asyncio

import reflex as rx

from admin_app import paths
from admin_app.services.accounts import reset_links
from admin_app.settings import get_settings
from admin_app.ui.components.auth_card import auth_card, field, form_error, submit_button
from admin_app.ui.state.auth import AuthState, Undone


class ForgotState(AuthState):
    sent: bool = False
    busy: bool = False
    error: str = ""

    @rx.event
    def load(self) -> None:
        self.sent, self.busy, self.error = False, False, ""

    @rx.event
    async def submit(self, form: dict):
        if self.busy:
            return
        self.busy, self.error = True, ""
        yield
        email, ctx = str(form.get("email", "")), self._request_context()
        wait = await self._attempt(
            lambda db: reset_links.request_by_email(
                db, settings=get_settings(), email=email, ctx=ctx
            )
        )
        if isinstance(wait, Undone):
            self.busy = False
            return
        # Where no mail went, wait as long as one takes, on the event loop.
        await asyncio.sleep(wait)
        # The same words whether or not the address has an account.
        self.busy, self.sent = False, True


@rx.page(
    route=paths.FORGOT_PASSWORD,
    title=f"Forgot password | {get_settings().app_name}",
    on_load=ForgotState.load,
)
def forgot_password_page() -> rx.Component:
    return auth_card(
        rx.cond(
            ForgotState.sent,
            rx.callout(
                "If an account uses that address, a reset link is on its way.",
                icon="mail",
                role="status",
            ),
            rx.form(
                rx.vstack(
                    form_error(ForgotState.error),
                    field("Email", "email", type="email", autocomplete="email"),
                    submit_button("Send reset link", ForgotState.busy),
                    spacing="3",
                    width="100%",
                ),
                on_submit=ForgotState.submit,
                width="100%",
            ),
        ),
        rx.link("Back to sign-in", href=paths.LOGIN, size="2"),
        subtitle="Reset your password",
    )
