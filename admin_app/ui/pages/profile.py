"""/profile: the signed-in user's own account."""

from __future__ import annotations

import reflex as rx

from admin_app.ui import routes
from admin_app.ui.layout import protected_page
from admin_app.ui.state.auth import AuthState


def detail(label: str, value: rx.Var) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


@protected_page(routes.PROFILE, "Profile")
def profile_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Profile", size="7", as_="h1"),
        rx.card(
            rx.data_list.root(
                detail("Full name", AuthState.full_name),
                detail("Username", AuthState.username),
                detail("Email", AuthState.email),
                detail("Role", rx.cond(AuthState.is_admin, "Admin", "User")),
            ),
            width="100%",
        ),
        spacing="5",
        width="100%",
    )
