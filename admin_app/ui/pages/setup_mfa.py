"""/setup-mfa: where MFA_REQUIRED sends a signed-in user who has no strong second factor.

The guard (AuthState.guard) sends every other page here while the policy
says the user is due (`SessionUser.needs_factor`); once an authenticator app
or a passkey is added it no longer does, and "Continue" is a real navigation
to the dashboard. Right after that sign-in no extra proof is asked
(ui/state/app_setup.py, ui/pages/profile/passkeys_state.py).
"""

from __future__ import annotations

import reflex as rx

from admin_app import paths
from admin_app.services.accounts import users
from admin_app.services.factors import account
from admin_app.settings import get_settings
from admin_app.ui.components.authenticator_setup import add_app_panel
from admin_app.ui.components.reauth_dialog import reauth_dialog
from admin_app.ui.layout import protected_page
from admin_app.ui.pages.profile.passkeys import setup_passkey_panel
from admin_app.ui.pages.profile.passkeys_state import PasskeysState
from admin_app.ui.state.app_setup import AppSetupState
from admin_app.ui.state.auth import AuthState, in_thread


class SetupMfaState(AuthState):
    # An app or a passkey (a strong factor): the policy is met.
    has_app: bool = False
    has_passkey: bool = False
    # Whom the policy covers: "all", "admins" or "none".
    required_of: str = "none"

    @rx.event
    async def load(self) -> None:
        self.required_of = get_settings().factors.mfa_required
        user_id = self._user_id
        if not user_id:
            return
        found = await in_thread(lambda db: account.overview(db, user=users.get(db, user_id)))
        self.has_app = found.has_strong
        self.has_passkey = bool(found.passkeys) and not found.apps

    @rx.event
    def go_on(self):
        return rx.redirect(paths.DASHBOARD)


def why() -> rx.Component:
    app_name = get_settings().app_name
    return rx.text(
        rx.match(
            SetupMfaState.required_of,
            ("admins", f"{app_name} asks every Admin to use an authenticator app or a passkey"),
            ("all", f"{app_name} asks everyone to use an authenticator app or a passkey"),
            "An authenticator app or a passkey protects your account",
        ),
        " as a second step of sign-in: a stolen password alone does not get in. "
        "Add one now to go on; it takes a minute.",
    )


def done() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(
                SetupMfaState.has_passkey,
                rx.fragment(
                    rx.heading("Your passkey is set up", size="4", as_="h2"),
                    rx.text("Sign-in will ask for it from now on.", size="2"),
                ),
                rx.fragment(
                    rx.heading("Your authenticator app is set up", size="4", as_="h2"),
                    rx.text("Sign-in will ask for its code from now on.", size="2"),
                ),
            ),
            rx.button("Continue", on_click=SetupMfaState.go_on),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


@protected_page(
    paths.SETUP_MFA,
    "Set up two-step verification",
    on_load=[SetupMfaState.load, AppSetupState.reset_setup, PasskeysState.reset_passkey],
)
def setup_mfa_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Set up two-step verification", size="7", as_="h1"),
        why(),
        rx.cond(
            SetupMfaState.has_app
            & (AppSetupState.setup_step != "codes")
            & (PasskeysState.passkey_step != "codes"),
            done(),
            rx.cond(
                PasskeysState.passkey_step == "codes",
                setup_passkey_panel(SetupMfaState.load),
                rx.vstack(
                    add_app_panel(SetupMfaState.load),
                    # Beside the app's first step only: its later steps finish what they began.
                    rx.cond(
                        AppSetupState.setup_step == "name",
                        setup_passkey_panel(SetupMfaState.load),
                    ),
                    spacing="4",
                    width="100%",
                ),
            ),
        ),
        rx.text(
            "Not now? ",
            rx.button(
                "Sign out",
                variant="ghost",
                size="2",
                on_click=AuthState.sign_out,
            ),
            size="2",
            color_scheme="gray",
        ),
        reauth_dialog(),
        spacing="4",
        width="100%",
        max_width="36rem",
    )
