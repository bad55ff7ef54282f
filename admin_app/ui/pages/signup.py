"""/signup: username, full name, email (and a password in password modes), then a code."""

from __future__ import annotations

import asyncio

import reflex as rx

from admin_app import paths
from admin_app.errors import DomainError
from admin_app.security.passwords import check_policy
from admin_app.services.accounts import signup, users
from admin_app.settings import get_settings
from admin_app.ui.components.auth_card import auth_card, form_error, submit_button
from admin_app.ui.components.providers import ProviderEntry, provider_buttons, provider_entries
from admin_app.ui.pages.verify import VerifyState
from admin_app.ui.state.auth import AuthState, Undone


def password_hint(password: str, username: str, email: str) -> str:
    """A plain-words strength hint: the policy's verdict, then length advice."""
    settings = get_settings()
    if not password:
        return f"At least {settings.password_min_length} characters. A few words make a strong one."
    try:
        check_policy(
            password, min_length=settings.password_min_length, username=username, email=email
        )
    except DomainError as exc:
        return exc.message
    return "Strong: a long password." if len(password) >= 20 else "Good. Longer is stronger."


class SignupState(AuthState):
    enabled: bool = True
    uses_password: bool = True
    providers: list[ProviderEntry] = []
    busy: bool = False
    error: str = ""
    field_errors: dict[str, str] = {}
    hint: str = ""
    _values: dict[str, str] = {}

    @rx.event
    async def load(self):
        settings = get_settings()
        self.enabled = settings.signup_enabled
        self.uses_password = settings.uses_passwords
        self.providers = provider_entries([p.name for p in settings.oauth], paths.DASHBOARD)
        self.busy, self.error, self.field_errors = False, "", {}
        self.hint = password_hint("", "", "")
        if await self._session_user() is not None:
            return rx.redirect(paths.DASHBOARD)
        return None

    @rx.event
    def check_field(self, name: str, value: str):
        """Inline validation as each field is left."""
        self._values[name] = value
        errors = dict(self.field_errors)
        errors.pop(name, None)
        try:
            if name == "username" and value:
                users.validate_username(value)
            elif name == "email" and value:
                users.normalise_email(value)
            elif name == "full_name" and value:
                users.validate_full_name(value)
        except DomainError as exc:
            errors[name] = exc.message
        self.field_errors = errors

    @rx.event
    def check_password(self, value: str):
        self.hint = password_hint(
            value, self._values.get("username", ""), self._values.get("email", "")
        )

    @rx.event
    async def submit(self, form: dict):
        if self.busy or not self.enabled:
            return
        self.busy, self.error, self.field_errors = True, "", {}
        yield
        data = users.NewUser(
            username=str(form.get("username", "")),
            full_name=str(form.get("full_name", "")),
            email=str(form.get("email", "")),
            password=str(form.get("password", "")) if self.uses_password else None,
        )
        ctx = self._request_context()
        sent = await self._attempt(
            lambda db: signup.begin(db, settings=get_settings(), data=data, ctx=ctx)
        )
        if isinstance(sent, Undone):
            self.busy = False
            if sent.error and sent.error.field:
                # Beside its field instead of above the form.
                self.error, self.field_errors = "", {sent.error.field: sent.error.message}
            return
        # The stand-in wait of a decoy, on the event loop, not a thread.
        await asyncio.sleep(sent.delay)
        verify = await self.get_state(VerifyState)
        verify._park(sent, paths.DASHBOARD)
        self.busy = False
        yield rx.redirect(paths.VERIFY)


def field_error(name: str) -> rx.Component:
    return rx.cond(
        SignupState.field_errors.contains(name),
        rx.text(SignupState.field_errors[name], size="1", color_scheme="red", role="alert"),
    )


def checked_field(label: str, name: str, *, autocomplete: str, type: str = "text") -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"fontWeight": 500, "fontSize": "0.875rem"}),
        rx.input(
            id=name,
            name=name,
            type=type,
            auto_complete=autocomplete,
            required=True,
            size="3",
            width="100%",
            on_blur=lambda value: SignupState.check_field(name, value),
            # The page opens on its first field.
            auto_focus=name == "username",
        ),
        field_error(name),
        spacing="1",
        width="100%",
    )


def signup_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_error(SignupState.error),
            checked_field("Username", "username", autocomplete="username"),
            checked_field("Full name", "full_name", autocomplete="name"),
            checked_field("Email", "email", autocomplete="email", type="email"),
            rx.cond(
                SignupState.uses_password,
                rx.vstack(
                    rx.el.label(
                        "Password",
                        html_for="password",
                        style={"fontWeight": 500, "fontSize": "0.875rem"},
                    ),
                    rx.input(
                        id="password",
                        name="password",
                        type="password",
                        auto_complete="new-password",
                        required=True,
                        size="3",
                        width="100%",
                        on_change=SignupState.check_password.debounce(300),
                    ),
                    rx.text(SignupState.hint, size="1", color_scheme="gray", id="password-hint"),
                    field_error("password"),
                    spacing="1",
                    width="100%",
                ),
            ),
            submit_button("Create account", SignupState.busy),
            spacing="4",
            width="100%",
        ),
        on_submit=SignupState.submit,
        width="100%",
    )


@rx.page(
    route=paths.SIGNUP,
    title=f"Create account | {get_settings().app_name}",
    on_load=SignupState.load,
)
def signup_page() -> rx.Component:
    return auth_card(
        rx.cond(
            SignupState.enabled,
            rx.vstack(signup_form(), provider_buttons(SignupState.providers), width="100%"),
            rx.callout(
                "Sign-up is turned off here. Ask an administrator for an account.",
                icon="info",
                role="status",
            ),
        ),
        rx.text(
            "Already have an account? ",
            rx.link("Sign in", href=paths.LOGIN, underline="always"),
            size="2",
            align="center",
            width="100%",
        ),
        subtitle="Create your account",
    )
