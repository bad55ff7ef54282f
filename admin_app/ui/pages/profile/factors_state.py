"""The state of /profile's second factors: authenticator apps, passkeys, recovery codes,
trusted browsers (adding and removing passkeys: passkeys_state.py).

Removing an app and new recovery codes need a fresh proof: the services say
so (ProofNeeded) and `_sensitive` opens "Confirm it's you", then runs the
action again. New recovery codes are shown once, never kept here (see
ui/state/app_setup.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import reflex as rx
from sqlmodel import Session

from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.devices import describe_device
from admin_app.services.factors import account
from admin_app.settings import get_settings
from admin_app.ui.state.app_setup import AppSetupState, show_recovery_codes
from admin_app.ui.state.auth import Undone, in_thread
from admin_app.ui.state.reauth import ReauthState


def _when(moment: dt.datetime | None, default: str = "never") -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else default


@dataclasses.dataclass(frozen=True)
class AppLine:
    id: int
    name: str
    added: str
    last_used: str


@dataclasses.dataclass(frozen=True)
class PasskeyLine:
    id: int
    name: str
    added: str
    last_used: str
    # Synced between devices by a password manager or a phone's cloud account.
    synced: bool


@dataclasses.dataclass(frozen=True)
class BrowserLine:
    # A handle for this page only: the row's id (a digest of the cookie) stays on the server.
    key: str
    device: str
    ip: str
    since: str
    expires: str


class FactorsState(ReauthState):
    apps: list[AppLine] = []
    passkeys: list[PasskeyLine] = []
    recovery_left: int = 0
    browsers: list[BrowserLine] = []
    factors_error: str = ""
    factors_notice: str = ""
    # The app a Remove is asking about (0: none).
    remove_id: int = 0
    remove_name: str = ""
    regenerate_asked: bool = False
    # New recovery codes are on the page (in their dialog); the codes never are in state.
    codes_shown: bool = False
    _browser_ids: dict[str, str] = {}

    async def _refresh(self) -> None:
        # The signed-in user as the last check found them (the guard, or `_principal`).
        user_id = self._user_id
        if not user_id:
            return
        found = await in_thread(lambda db: account.overview(db, user=users.get(db, user_id)))
        self.apps = [
            AppLine(
                id=a.id, name=a.name, added=_when(a.created_at), last_used=_when(a.last_used_at)
            )
            for a in found.apps
        ]
        self.passkeys = [
            PasskeyLine(
                id=p.id,
                name=p.name,
                added=_when(p.created_at),
                last_used=_when(p.last_used_at, ""),
                synced=p.synced,
            )
            for p in found.passkeys
        ]
        self.recovery_left = found.recovery_left
        self._browser_ids = {b.id[:16]: b.id for b in found.browsers}
        self.browsers = [
            BrowserLine(
                key=b.id[:16],
                device=describe_device(b.user_agent),
                ip=b.ip or "unknown",
                since=_when(b.created_at),
                expires=_when(b.expires_at),
            )
            for b in found.browsers
        ]

    async def _quiet(self) -> None:
        """One notice at a time: this section's, or the add-an-app dialog's."""
        self.factors_error = self.factors_notice = ""
        setup = await self.get_state(AppSetupState)
        setup.setup_notice = ""

    @rx.event
    async def clear_notices(self) -> None:
        self.factors_error = self.factors_notice = ""

    @rx.event
    async def load(self) -> None:
        self.factors_error = self.factors_notice = self.remove_name = ""
        self.remove_id, self.regenerate_asked, self.codes_shown = 0, False, False
        self._reset_reauth()
        if self.signed_in:
            await self._refresh()

    @rx.event
    async def refresh(self) -> None:
        """After the add-an-app dialog: list what it added."""
        if await self._principal() is not None:
            await self._refresh()

    @rx.event
    async def ask_remove(self, factor_id: int, name: str) -> None:
        await self._quiet()
        self.remove_id, self.remove_name = int(factor_id), name

    @rx.event
    def cancel_remove(self) -> None:
        self.remove_id = 0

    @rx.event
    async def remove_app(self, factor_id: int, name: str) -> None:
        self.remove_id = 0
        await self._quiet()
        target, ctx = int(factor_id), self._request_context()
        done = await self._sensitive(
            lambda db, me: account.remove_app(
                db, settings=get_settings(), actor=me, factor_id=target, ctx=ctx
            ),
            retry="remove_app",
            args=(target, name),
            error="factors_error",
        )
        if isinstance(done, Undone):
            return
        self.factors_notice = f"“{name}” was removed."
        await self._refresh()
        if not self.apps and not self.passkeys:
            self.factors_notice += " With no authenticator app left, the recovery codes went too."

    @rx.event
    async def ask_regenerate(self) -> None:
        await self._quiet()
        self.regenerate_asked = True

    @rx.event
    def cancel_regenerate(self) -> None:
        self.regenerate_asked = False

    @rx.event
    async def regenerate(self):
        self.regenerate_asked = False
        await self._quiet()
        ctx = self._request_context()

        def work(db: Session, me: Principal) -> list[str]:
            return account.regenerate_recovery(db, settings=get_settings(), actor=me, ctx=ctx)

        codes = await self._sensitive(work, retry="regenerate", error="factors_error")
        if isinstance(codes, Undone):
            return None
        self.codes_shown = True
        self.factors_notice = "New recovery codes were made; the old ones no longer work."
        await self._refresh()
        return show_recovery_codes(codes)

    @rx.event
    def close_codes(self) -> None:
        self.codes_shown = False

    @rx.event
    async def stop_trusting(self, key: str) -> None:
        await self._quiet()
        browser_id, ctx = self._browser_ids.get(key, ""), self._request_context()
        if not browser_id:
            return
        done = await self._attempt(
            lambda db, me: account.forget_browser(db, actor=me, browser_id=browser_id, ctx=ctx),
            as_principal=True,
            error="factors_error",
        )
        if isinstance(done, Undone):
            return
        self.factors_notice = (
            "That browser is no longer trusted: its next sign-in asks for the second step."
        )
        await self._refresh()
