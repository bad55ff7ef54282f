"""/: counts, sign-ins over 14 days and the newest security events."""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel import Session

from admin_app import paths
from admin_app.errors import PermissionDenied
from admin_app.services.access.principals import Principal
from admin_app.services.admin import overview
from admin_app.services.audit import history
from admin_app.ui.layout import protected_page
from admin_app.ui.page_catalogue import NavEntry
from admin_app.ui.state.auth import AuthState, Undone


@dataclasses.dataclass(frozen=True)
class RecentEvent:
    """One line of the newest security events."""

    when: str
    kind: str
    who: str
    ip: str


def _overview(
    db: Session, me: Principal
) -> tuple[overview.Counts, list[history.DayCount], list[history.EventRow]]:
    counts = overview.counts(db)
    try:
        days = history.daily_signins(db, actor=me)
        newest = history.events(db, actor=me, page_size=8).items
    except PermissionDenied:
        days, newest = [], []
    return counts, days, newest


class DashboardState(AuthState):
    users: int = 0
    active_users: int = 0
    live_sessions: int = 0
    # Recharts reads each bar's series by its label ("Sign-ins"), so a day stays a dict.
    chart: list[dict[str, int | str]] = []
    recent: list[RecentEvent] = []

    @rx.event
    async def load(self) -> None:
        found = await self._attempt(_overview, as_principal=True, error=None)
        if isinstance(found, Undone):
            return
        counts, days, newest = found
        self.users, self.active_users, self.live_sessions = (
            counts.users,
            counts.active_users,
            counts.live_sessions,
        )
        self.chart = [{"day": d.day, "Sign-ins": d.signins, "Failures": d.failures} for d in days]
        self.recent = [
            RecentEvent(
                when=e.created_at.strftime("%b %d %H:%M"),
                kind=e.kind,
                who=e.username or "—",
                ip=e.ip,
            )
            for e in newest
        ]


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


def activity_chart() -> rx.Component:
    return rx.card(
        rx.heading("Sign-ins, last 14 days", size="4", as_="h2", margin_bottom="0.5rem"),
        rx.recharts.bar_chart(
            rx.recharts.bar(data_key="Sign-ins", fill=rx.color("accent", 9), stack_id="a"),
            rx.recharts.bar(data_key="Failures", fill=rx.color("red", 9), stack_id="a"),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.legend(),
            rx.recharts.graphing_tooltip(),
            data=DashboardState.chart,
            height=240,
        ),
        width="100%",
    )


def recent_events() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.heading("Newest security events", size="4", as_="h2"),
            rx.spacer(),
            rx.link("Audit log", href=paths.AUDIT, size="2"),
            width="100%",
        ),
        rx.table.root(
            rx.table.body(
                rx.foreach(
                    DashboardState.recent,
                    lambda e: rx.table.row(
                        rx.table.cell(e.when),
                        rx.table.cell(rx.code(e.kind)),
                        rx.table.cell(e.who),
                        rx.table.cell(e.ip),
                    ),
                ),
                # Focusable: on a narrow screen the table scrolls sideways (keyboard too).
                tab_index=0,
            ),
            width="100%",
        ),
        width="100%",
    )


@protected_page(
    paths.DASHBOARD,
    "Dashboard",
    nav=NavEntry("Dashboard", "layout-dashboard", order=10),
    on_load=[DashboardState.load],
)
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
        rx.cond(AuthState.is_admin, activity_chart()),
        rx.cond(AuthState.is_admin, recent_events()),
        spacing="5",
        width="100%",
    )
