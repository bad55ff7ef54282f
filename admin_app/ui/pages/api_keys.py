"""/api-keys: a user's own keys; the full key is shown once, at creation."""

from __future__ import annotations

import dataclasses
import datetime as dt

import reflex as rx
from sqlmodel import Session

from admin_app import paths
from admin_app.errors import ValidationFailed
from admin_app.services.access import api_keys, permissions
from admin_app.services.access.principals import Principal
from admin_app.settings import get_settings
from admin_app.ui.components.auth_card import field, form_error
from admin_app.ui.components.one_time_secret import copy_button, reveal, secret_box
from admin_app.ui.components.reauth_dialog import reauth_dialog
from admin_app.ui.layout import protected_page
from admin_app.ui.page_catalogue import NavEntry
from admin_app.ui.state.auth import Undone
from admin_app.ui.state.reauth import ReauthState

NEW_KEY_ID = "new-key"


def _when(moment: dt.datetime | None, default: str = "never") -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else default


@dataclasses.dataclass(frozen=True)
class KeyRow:
    """One line of the keys table; the key itself is never listed."""

    id: int
    name: str
    prefix: str
    permissions: str
    created: str
    last_used: str
    expires: str


def _key_row(k: api_keys.KeyInfo) -> KeyRow:
    return KeyRow(
        id=k.id,
        name=k.name,
        prefix=f"ak_{k.prefix}_…",
        permissions=", ".join(k.permissions) or "none",
        created=_when(k.created_at),
        last_used=_when(k.last_used_at),
        expires=_when(k.expires_at, "no expiry"),
    )


def _own_keys(db: Session, me: Principal) -> tuple[list[str], list[api_keys.KeyInfo]]:
    return me.permissions, api_keys.list_own(db, actor=me)


class ApiKeysState(ReauthState):
    keys: list[KeyRow] = []
    own_permissions: list[str] = []
    # Whether the new key's box is open; the key itself is never in state.
    key_shown: bool = False
    error: str = ""
    notice: str = ""

    async def _refresh(self) -> None:
        found = await self._attempt(_own_keys, as_principal=True, error=None)
        if isinstance(found, Undone):
            return
        self.own_permissions, keys = found
        self.keys = [_key_row(k) for k in keys]

    @rx.event
    async def load(self) -> None:
        self.key_shown = False
        self.error = self.notice = ""
        self._reset_reauth()
        if self.signed_in:
            await self._refresh()

    @rx.event
    async def create(self, form: dict):
        self.error = self.notice = ""
        wanted = [p for p in self.own_permissions if form.get(f"perm_{p}")]
        name = str(form.get("key_name", ""))
        raw_expiry = str(form.get("expires_on", "")).strip()
        ctx = self._request_context()

        def work(db: Session, me: Principal) -> api_keys.CreatedKey:
            expires = None
            if raw_expiry:
                try:
                    day = dt.date.fromisoformat(raw_expiry)
                except ValueError:
                    raise ValidationFailed("Give the expiry as a date.") from None
                expires = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
            return api_keys.create(
                db,
                settings=get_settings(),
                owner=me,
                name=name,
                wanted=wanted,
                expires_at=expires,
                ctx=ctx,
            )

        # A new key needs a fresh proof: "Confirm it's you" makes it after the proof.
        created = await self._sensitive(work, retry="create", args=(form,))
        if isinstance(created, Undone):
            return None
        self.key_shown = True
        await self._refresh()
        return reveal(NEW_KEY_ID, created.key)

    @rx.event
    async def revoke(self, key_id: int) -> None:
        target, ctx = int(key_id), self._request_context()
        done = await self._attempt(
            lambda db, me: api_keys.revoke_own(db, actor=me, key_id=target, ctx=ctx),
            as_principal=True,
        )
        if isinstance(done, Undone):
            return
        self.notice = "The key was revoked; it no longer works."
        await self._refresh()

    @rx.event
    def dismiss_key(self) -> None:
        self.key_shown = False


def key_row(key: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(key.name),
        rx.table.cell(rx.code(key.prefix)),
        rx.table.cell(key.permissions),
        rx.table.cell(key.created),
        rx.table.cell(key.last_used),
        rx.table.cell(key.expires),
        rx.table.cell(
            rx.button(
                "Revoke",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=ApiKeysState.revoke(key.id),
                aria_label="Revoke " + key.name,
            )
        ),
    )


def new_key_callout() -> rx.Component:
    return rx.cond(
        ApiKeysState.key_shown,
        rx.callout.root(
            rx.callout.text(
                rx.vstack(
                    rx.text("Copy your new key now: it is shown only once.", weight="bold"),
                    secret_box(NEW_KEY_ID),
                    rx.hstack(
                        copy_button(NEW_KEY_ID),
                        rx.button(
                            "Done",
                            size="1",
                            variant="soft",
                            high_contrast=True,
                            on_click=ApiKeysState.dismiss_key,
                        ),
                    ),
                    spacing="2",
                )
            ),
            color_scheme="amber",
            high_contrast=True,
            role="status",
            width="100%",
        ),
    )


@protected_page(
    paths.API_KEYS,
    "API keys",
    permission=permissions.API_KEYS_WRITE,
    nav=NavEntry("API keys", "key-round", order=30),
    on_load=[ApiKeysState.load],
)
def api_keys_page() -> rx.Component:
    return rx.vstack(
        rx.heading("API keys", size="7", as_="h1"),
        rx.text(
            "For scripts and CI: send a key as Authorization: Bearer <key> or X-API-Key.",
            color_scheme="gray",
        ),
        new_key_callout(),
        rx.cond(
            ApiKeysState.notice != "",
            rx.callout(
                ApiKeysState.notice,
                icon="check",
                color_scheme="green",
                high_contrast=True,
                role="status",
                width="100%",
            ),
        ),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("Create a key", size="4", as_="h2"),
                    form_error(ApiKeysState.error),
                    field("Key name", "key_name"),
                    rx.text("Permissions (at most your own)", size="2", weight="medium"),
                    rx.foreach(
                        ApiKeysState.own_permissions,
                        lambda p: rx.el.label(
                            rx.hstack(
                                rx.checkbox(name="perm_" + p, aria_label=p), rx.code(p), spacing="2"
                            )
                        ),
                    ),
                    field("Expires on (optional)", "expires_on", type="date", required=False),
                    rx.button("Create key", type="submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=ApiKeysState.create,
                reset_on_submit=True,
            ),
            width="100%",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in [
                            "Name",
                            "Prefix",
                            "Permissions",
                            "Created",
                            "Last used",
                            "Expires",
                            "",
                        ]
                    ]
                )
            ),
            # Focusable: on a narrow screen the table scrolls sideways (keyboard too).
            rx.table.body(rx.foreach(ApiKeysState.keys, key_row), tab_index=0),
            width="100%",
        ),
        reauth_dialog(),
        spacing="4",
        width="100%",
    )
