"""/audit: security events with filters and pages (needs `audit:read`)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import reflex as rx
from sqlmodel import Session

from admin_app import paths
from admin_app.errors import ValidationFailed
from admin_app.services.access import permissions
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.audit import history
from admin_app.ui.components.auth_card import form_error
from admin_app.ui.components.lists import filter_select, pager
from admin_app.ui.layout import protected_page
from admin_app.ui.page_catalogue import NavEntry
from admin_app.ui.state.auth import AuthState, Undone

PAGE_SIZE = 50
KINDS = [
    "all",
    "signin",
    "signout",
    "code",
    "signup",
    "mfa",
    "password",
    "reset_link",
    "api_key",
    "user",
    "role",
    "sessions",
    "token",
]


@dataclasses.dataclass(frozen=True)
class EventLine:
    """One line of the audit table."""

    when: str
    kind: str
    user: str
    actor: str
    ip: str
    agent: str
    detail: str


def _line(e: history.EventRow) -> EventLine:
    return EventLine(
        when=e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        kind=e.kind,
        user=e.username or (str(e.user_id) if e.user_id else "—"),
        actor=e.actor_username or "",
        ip=e.ip,
        agent=e.user_agent[:60],
        detail=", ".join(f"{k}={v}" for k, v in e.detail.items()),
    )


class AuditState(AuthState):
    events: list[EventLine] = []
    total: int = 0
    page: int = 1
    kind: str = "all"
    who: str = ""
    since: str = ""
    error: str = ""

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    async def _fetch(self) -> None:
        kind, who, since_text, page = self.kind, self.who.strip(), self.since, self.page

        def read(db: Session, me: Principal) -> history.Page[history.EventRow]:
            user_id = None
            if who:
                user = users.find_by_identifier(db, who)
                user_id = user.id if user else -1
            try:
                since = (
                    dt.datetime.combine(dt.date.fromisoformat(since_text), dt.time(), tzinfo=dt.UTC)
                    if since_text
                    else None
                )
            except ValueError:
                raise ValidationFailed("Give the date as YYYY-MM-DD.") from None
            return history.events(
                db,
                actor=me,
                user_id=user_id,
                kind=None if kind == "all" else kind,
                since=since,
                page=page,
                page_size=PAGE_SIZE,
            )

        found = await self._attempt(read, as_principal=True)
        if isinstance(found, Undone):
            return
        self.error = ""
        self.total = found.total
        self.events = [_line(e) for e in found.items]

    @rx.event
    async def load(self):
        if not self.signed_in:
            return None
        if not self.is_admin:
            return rx.redirect(paths.DASHBOARD)
        self.page = 1
        await self._fetch()
        return None

    @rx.event
    async def set_kind(self, value: str) -> None:
        self.kind, self.page = value, 1
        await self._fetch()

    @rx.event
    async def set_who(self, value: str) -> None:
        self.who, self.page = value, 1
        await self._fetch()

    @rx.event
    async def set_since(self, value: str) -> None:
        self.since, self.page = value, 1
        await self._fetch()

    @rx.event
    async def turn_page(self, step: int) -> None:
        self.page = min(max(1, self.page + step), self.pages)
        await self._fetch()


def event_row(event: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(event.when, white_space="nowrap"),
        rx.table.cell(rx.code(event.kind)),
        rx.table.cell(event.user),
        rx.table.cell(event.actor),
        rx.table.cell(event.ip),
        rx.table.cell(
            rx.text(event.detail, size="1"),
            rx.text(event.agent, size="1", color_scheme="gray"),
        ),
    )


@protected_page(
    paths.AUDIT,
    "Audit log",
    permission=permissions.AUDIT_READ,
    nav=NavEntry("Audit log", "scroll-text", order=40),
    on_load=[AuditState.load],
)
def audit_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Audit log", size="7", as_="h1"),
        form_error(AuditState.error),
        rx.hstack(
            rx.vstack(
                rx.el.label("User", html_for="who", style={"fontSize": "0.75rem"}),
                rx.input(
                    id="who",
                    placeholder="Email or username",
                    on_change=AuditState.set_who.debounce(400),
                ),
                spacing="1",
            ),
            filter_select("Kind", AuditState.kind, [(k, k) for k in KINDS], AuditState.set_kind),
            rx.vstack(
                rx.el.label("Since", html_for="since", style={"fontSize": "0.75rem"}),
                rx.input(id="since", type="date", on_change=AuditState.set_since),
                spacing="1",
            ),
            align="end",
            spacing="3",
            wrap="wrap",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ["When (UTC)", "Event", "User", "By", "Address", "Detail"]
                    ]
                )
            ),
            # Focusable: on a narrow screen the table scrolls sideways (keyboard too).
            rx.table.body(rx.foreach(AuditState.events, event_row), tab_index=0),
            width="100%",
        ),
        pager("events", AuditState.total, AuditState.page, AuditState.pages, AuditState.turn_page),
        spacing="4",
        width="100%",
    )
