"""Adding an authenticator app, on /profile and on /setup-mfa: name it, scan, confirm.

The secret, its QR code and the recovery codes made with the first app go to
the browser inside one event's script (components/one_time_secret.py) and are
never in this state: it keeps only which step is shown and, backend-only,
the id of the app waiting for its first code. The TOTP secret stays sealed in
the database; confirming needs only that id and the code.
"""

from __future__ import annotations

import base64
from typing import Any

import reflex as rx
from sqlmodel import Session

from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.factors import account, policy, totp
from admin_app.settings import get_settings
from admin_app.ui.components.one_time_secret import reveal, reveal_image
from admin_app.ui.state.auth import Undone
from admin_app.ui.state.reauth import ReauthState

QR_ID = "totp-qr"
SECRET_ID = "totp-secret"  # noqa: S105 (an element id)
CODES_ID = "recovery-codes"


def grouped(secret: str, size: int = 4) -> str:
    """The secret in groups of four, easier to read and to type."""
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))


def show_recovery_codes(codes: list[str]) -> list[Any]:
    """The event that puts new recovery codes on the page, one a line."""
    return [reveal(CODES_ID, "\n".join(codes))]


def _start(db: Session, me: Principal, name: str) -> totp.Enrolment:
    settings = get_settings()
    # Right after a sign-in that the MFA policy stopped at /setup-mfa, no extra proof
    # is asked: the policy (not the page) says whether this user is due to enrol.
    enrolling = policy.enrolment_due(db, settings=settings, user=users.get(db, me.user_id))
    return account.start_app(db, settings=settings, actor=me, name=name, enrolling=enrolling)


class AppSetupState(ReauthState):
    setup_open: bool = False
    # "name", then "scan" (QR code, secret, first code), then "codes" for a first app.
    setup_step: str = "name"
    setup_error: str = ""
    setup_notice: str = ""
    # The new app's name, as the service cleaned it.
    setup_app: str = ""
    _setup_factor_id: int = 0

    def _reset_setup(self) -> None:
        self.setup_open, self.setup_step = False, "name"
        self.setup_error = self.setup_notice = self.setup_app = ""
        self._setup_factor_id = 0

    @rx.event
    def reset_setup(self) -> None:
        """on_load: nothing of an earlier visit's dialog stays open."""
        self._reset_setup()

    @rx.event
    def open_setup(self) -> None:
        self._reset_setup()
        self.setup_open = True

    @rx.event
    def close_setup(self) -> None:
        # The recovery codes, if shown, leave the page with the dialog's content.
        # An app never confirmed is forgotten by the service after an hour.
        self.setup_open, self.setup_step, self.setup_error = False, "name", ""
        self._setup_factor_id = 0

    @rx.event
    async def start_setup(self, form: dict):
        self.setup_error = self.setup_notice = ""
        name = str(form.get("app_name", ""))
        started = await self._sensitive(
            lambda db, me: _start(db, me, name),
            retry="start_setup",
            args=(form,),
            error="setup_error",
        )
        if isinstance(started, Undone):
            if self.reauth_open:
                # One dialog at a time: "Confirm it's you" brings this one back at the scan step.
                self.setup_open = False
            return None
        self._setup_factor_id, self.setup_app = started.factor_id, started.name
        self.setup_open, self.setup_step = True, "scan"
        qr = base64.b64encode(started.qr_svg.encode()).decode()
        return [
            reveal_image(QR_ID, f"data:image/svg+xml;base64,{qr}"),
            reveal(SECRET_ID, grouped(started.secret)),
        ]

    @rx.event
    async def confirm_setup(self, form: dict):
        self.setup_error = ""
        factor_id, code = self._setup_factor_id, str(form.get("setup_code", ""))
        if not factor_id:
            self.setup_step, self.setup_error = "name", "Start again: give the app a name."
            return None
        ctx = self._request_context()
        confirmed = await self._attempt(
            lambda db, me: account.confirm_app(
                db, settings=get_settings(), actor=me, factor_id=factor_id, code=code, ctx=ctx
            ),
            as_principal=True,
            error="setup_error",
        )
        if isinstance(confirmed, Undone):
            return None
        self._setup_factor_id = 0
        self.setup_notice = f"“{confirmed.app.name}” was added: sign-in now asks for its code."
        if not confirmed.recovery_codes:
            self.setup_open, self.setup_step = False, "name"
            return None
        self.setup_step = "codes"
        return show_recovery_codes(confirmed.recovery_codes)
