"""An extension page, as docs/extending.md builds it: /reports, behind `reports:read`.

Start the app with `APP_EXTENSIONS=examples.reports` and Admins get a
"Reports" entry in the sidebar; everyone else gets no entry, and a refusal if
they type the address.
"""

from __future__ import annotations

import asyncio

import reflex as rx
import sqlalchemy as sa

from admin_app.db import read_connection
from admin_app.models import User
from admin_app.services.access import permissions
from admin_app.ui.layout import protected_page
from admin_app.ui.page_catalogue import NavEntry
from admin_app.ui.state.auth import AuthState

# Admin holds every permission; add roles=("User",) to grant it to everyone.
REPORTS_READ = permissions.register("reports:read", "Read the reports")


def count_users() -> int:
    """The report's one figure; plain Python, no Reflex (it could live in services/)."""
    with read_connection() as db:
        return int(db.execute(sa.select(sa.func.count()).select_from(User)).scalar_one())


class ReportsState(AuthState):
    users: int = 0

    @rx.event
    async def load(self) -> None:
        # The guard has checked already; a handler checks again, on the server.
        if await self._allowed(REPORTS_READ) is None:
            return
        self.users = await asyncio.to_thread(count_users)


@protected_page(
    "/reports",
    "Reports",
    permission=REPORTS_READ,
    nav=NavEntry("Reports", "chart-bar", order=50),
    on_load=[ReportsState.load],
)
def reports_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Reports", size="7", as_="h1"),
        rx.text("Accounts in all: ", rx.text.strong(ReportsState.users, id="user-total")),
        spacing="4",
    )
