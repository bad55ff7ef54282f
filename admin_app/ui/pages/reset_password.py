"""/reset-password?token=…: choose a new password with a one-time link."""

from __future__ import annotations

import reflex as rx

from admin_app import paths
from admin_app.services.accounts import reset_links
from admin_app.settings import get_settings
from admin_app.ui.components.auth_card import auth_card, field, form_error, submit_button
from admin_app.ui.state.auth import AuthState, Undone


class ResetPasswordState(AuthState):
    valid: bool = False
    done: bool = False
    busy: bool = False
    error: str = ""
    for_user: str = ""
    _reset_token: str = ""

    @rx.event
    async def load(self) -> None:
        self._reset_token = self.router.url.query_parameters.get("token", "")
        self.done, self.busy, self.error = False, False, ""
        token = self._reset_token
        for_user = await self._attempt(lambda db: reset_links.check(db, token=token).username)
        if isinstance(for_user, Undone):
            self.valid = False
            return
        self.for_user, self.valid = for_user, True

    @rx.event
    async def submit(self, form: dict):
        if self.busy:
            return
        password = str(form.get("new_password", ""))
        if password != str(form.get("confirm_password", "")):
            self.error = "The two passwords differ."
            return
        self.busy, self.error = True, ""
        yield
        token, ctx = self._reset_token, self._request_context()
        done = await self._attempt(
            lambda db: reset_links.use(
                db, settings=get_settings(), token=token, password=password, ctx=ctx
            )
        )
        if isinstance(done, Undone):
            self.busy = False
            return
        self.busy, self.done, self._reset_token = False, True, ""


@rx.page(
    route=paths.RESET_PASSWORD,
    title=f"Reset password | {get_settings().app_name}",
    on_load=ResetPasswordState.load,
)
def reset_password_page() -> rx.Component:
    return auth_card(
        rx.cond(
            ResetPasswordState.done,
            rx.vstack(
                rx.callout(
                    "Your password was changed. Every session was signed out.",
                    icon="check",
                    color_scheme="green",
                    high_contrast=True,
                    role="status",
                ),
                rx.link("Sign in", href=paths.LOGIN),
            ),
            rx.cond(
                ResetPasswordState.valid,
                rx.form(
                    rx.vstack(
                        rx.text("New password for ", rx.text.strong(ResetPasswordState.for_user)),
                        form_error(ResetPasswordState.error),
                        field(
                            "New password",
                            "new_password",
                            type="password",
                            autocomplete="new-password",
                        ),
                        field(
                            "Confirm new password",
                            "confirm_password",
                            type="password",
                            autocomplete="new-password",
                        ),
                        submit_button("Set password", ResetPasswordState.busy),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=ResetPasswordState.submit,
                    width="100%",
                ),
                rx.vstack(
                    form_error(ResetPasswordState.error),
                    rx.link("Back to sign-in", href=paths.LOGIN),
                ),
            ),
        ),
        subtitle="Choose a new password",
    )
