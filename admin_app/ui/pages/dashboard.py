"""/: the dashboard."""

from __future__ import annotations

import asyncio

import reflex as rx

from admin_app.db import session_scope
from admin_app.services import stats
from admin_app.ui import routes
from admin_app.ui.layout import protected_page
from admin_app.ui.state.auth import AuthState


class DashboardState(AuthState):
    users: int = 0
    active_users: int = 0
    live_sessions: int = 0

    @rx.event
    async def load(self) -> None:
        if not self.signed_in:
            return

        def read() -> stats.Counts:
            with session_scope() as db:
                return stats.counts(db)

        counts = await asyncio.to_thread(read)
        self.users, self.active_users, self.live_sessions = (
            counts.users,
            counts.active_users,
            counts.live_sessions,
        )


def stat_card(label: str, value: rx.Var, icon: str) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon(icon, size=22, color=rx.color("accent", 10)),
            rx.vstack(
                rx.text(label, size="2", color_scheme="gray"),
                rx.heading(value, size="6"),
                spacing="0",
            ),
            align="center",
            spacing="4",
        ),
        flex="1",
        min_width="12rem",
    )


@protected_page(routes.DASHBOARD, "Dashboard", on_load=[DashboardState.load])
def dashboard_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Dashboard", size="7", as_="h1"),
        rx.text("Welcome back, ", AuthState.full_name, ".", color_scheme="gray"),
        rx.flex(
            stat_card("Users", DashboardState.users, "users"),
            stat_card("Active users", DashboardState.active_users, "user-check"),
            stat_card("Signed-in sessions", DashboardState.live_sessions, "monitor-smartphone"),
            gap="1rem",
            wrap="wrap",
            width="100%",
        ),
        spacing="5",
        width="100%",
    )
