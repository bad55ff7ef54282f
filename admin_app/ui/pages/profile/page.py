"""/profile: name, password, second factors, email codes, linked providers and sessions."""

from __future__ import annotations

import reflex as rx

from admin_app import paths
from admin_app.ui.components.reauth_dialog import reauth_dialog
from admin_app.ui.layout import protected_page
from admin_app.ui.pages.profile.details import linked_section, name_section, password_section
from admin_app.ui.pages.profile.email_codes import mfa_section
from admin_app.ui.pages.profile.factors import factors_section
from admin_app.ui.pages.profile.factors_state import FactorsState
from admin_app.ui.pages.profile.passkeys_state import PasskeysState
from admin_app.ui.pages.profile.sessions import sessions_section
from admin_app.ui.pages.profile.state import ProfileState
from admin_app.ui.state.app_setup import AppSetupState


@protected_page(
    paths.PROFILE,
    "Profile",
    on_load=[
        ProfileState.load,
        FactorsState.load,
        AppSetupState.reset_setup,
        PasskeysState.reset_passkey,
    ],
)
def profile_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Profile", size="7", as_="h1"),
        rx.cond(
            ProfileState.notice != "",
            rx.callout(
                ProfileState.notice,
                icon="check",
                color_scheme="green",
                high_contrast=True,
                role="status",
                width="100%",
            ),
        ),
        name_section(),
        rx.cond(ProfileState.uses_password, password_section()),
        factors_section(),
        mfa_section(),
        linked_section(),
        sessions_section(),
        reauth_dialog(),
        spacing="4",
        width="100%",
        max_width="48rem",
    )
