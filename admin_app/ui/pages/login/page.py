"""/login: adapts to AUTH_MODE; ends in a real navigation that sets the cookie."""

from __future__ import annotations

import reflex as rx

from admin_app import paths
from admin_app.settings import get_settings
from admin_app.ui.components.auth_card import auth_card, field, form_error, submit_button
from admin_app.ui.components.passkey_button import passkey_button
from admin_app.ui.components.providers import provider_buttons
from admin_app.ui.pages.login.state import LoginState

# The words. (Browser tests find the form's own button by the exact
# name "Sign in": Playwright matches a name as a substring otherwise.)
PASSKEY_LABEL = "Sign in with a passkey"


def login_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_error(LoginState.error),
            # "webauthn": the browser may offer this site's passkeys in the field's autofill.
            field(
                "Email or username",
                "identifier",
                autocomplete="username webauthn",
                auto_focus=True,
            ),
            rx.cond(
                LoginState.uses_password,
                field("Password", "password", type="password", autocomplete="current-password"),
            ),
            rx.cond(
                LoginState.forgot_offered,
                rx.link("Forgot password?", href=paths.FORGOT_PASSWORD, size="2"),
            ),
            submit_button(
                rx.cond(LoginState.uses_password, "Sign in", "Continue"), LoginState.busy
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=LoginState.submit,
        width="100%",
    )


@rx.page(route=paths.LOGIN, title=f"Sign in | {get_settings().app_name}", on_load=LoginState.load)
def login_page() -> rx.Component:
    return auth_card(
        rx.cond(LoginState.loaded, login_form(), rx.center(rx.spinner(), padding="2rem")),
        rx.cond(
            LoginState.loaded,
            passkey_button(
                PASSKEY_LABEL,
                on_click=LoginState.use_passkey,
                busy=LoginState.passkey_busy,
            ),
        ),
        provider_buttons(LoginState.providers),
        rx.cond(
            LoginState.signup_enabled,
            rx.text(
                "No account yet? ",
                rx.link("Create account", href=paths.SIGNUP, underline="always"),
                size="2",
                align="center",
                width="100%",
            ),
        ),
        subtitle=rx.cond(
            LoginState.uses_password,
            "Sign in to continue",
            "Sign in with a code sent to your email",
        ),
    )
