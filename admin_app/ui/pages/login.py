"""/login: adapts to AUTH_MODE; ends in a real navigation that sets the cookie."""

from __future__ import annotations

import asyncio

import reflex as rx

from admin_app.db import session_scope
from admin_app.errors import DomainError
from admin_app.security.redirects import safe_next
from admin_app.services import signin
from admin_app.services.context import RequestContext
from admin_app.settings import get_settings
from admin_app.ui import routes
from admin_app.ui.components.auth_card import auth_card, field, form_error, submit_button
from admin_app.ui.navigation import post_to
from admin_app.ui.state.auth import AuthState

NOTICES = {
    "expired": "Your sign-in took too long to finish. Please sign in again.",
}


def sign_in_with_password(identifier: str, password: str, ctx: RequestContext) -> str:
    """Blocking (argon2, database): the page runs it in a worker thread."""
    settings = get_settings()
    with session_scope() as db:
        user = signin.check_password(
            db, settings=settings, identifier=identifier, password=password, ctx=ctx
        )
        return signin.browser_ticket(db, settings=settings, user=user, ctx=ctx, method="password")


class LoginState(AuthState):
    uses_password: bool = True
    signup_enabled: bool = False
    loaded: bool = False
    busy: bool = False
    error: str = ""

    def _next(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    @rx.event
    async def load(self):
        settings = get_settings()
        self.uses_password = settings.uses_passwords
        self.signup_enabled = settings.signup_enabled
        self.busy = False
        self.error = NOTICES.get(self.router.url.query_parameters.get("error", ""), "")
        if await self._session_user() is not None:
            return rx.redirect(self._next())
        self.loaded = True
        return None

    @rx.event
    async def submit(self, form: dict):
        if self.busy:
            return
        self.busy, self.error = True, ""
        yield
        identifier = str(form.get("identifier", ""))
        password = str(form.get("password", ""))
        try:
            ticket = await asyncio.to_thread(
                sign_in_with_password, identifier, password, self._request_context()
            )
        except DomainError as exc:
            self.busy, self.error = False, exc.message
            return
        # busy stays on: the page is about to be replaced by the navigation.
        yield post_to(routes.SESSION_HANDOFF, {"ticket": ticket, "next": self._next()})


def login_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_error(LoginState.error),
            field("Email or username", "identifier", autocomplete="username", auto_focus=True),
            rx.cond(
                LoginState.uses_password,
                field("Password", "password", type="password", autocomplete="current-password"),
            ),
            submit_button("Sign in", LoginState.busy),
            spacing="4",
            width="100%",
        ),
        on_submit=LoginState.submit,
        width="100%",
    )


@rx.page(route=routes.LOGIN, title=f"Sign in | {get_settings().app_name}", on_load=LoginState.load)
def login_page() -> rx.Component:
    return auth_card(
        rx.cond(LoginState.loaded, login_form(), rx.center(rx.spinner(), padding="2rem")),
        rx.cond(
            LoginState.signup_enabled,
            rx.text(
                "No account yet? ",
                rx.link("Create account", href=routes.SIGNUP),
                size="2",
                align="center",
                width="100%",
            ),
        ),
        subtitle="Sign in to continue",
    )
