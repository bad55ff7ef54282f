"""/auth/factors and /auth/reauthenticate: the caller's own second factors, and
the fresh proof ("sudo mode") that sensitive changes ask for.

Every route here is for a signed-in user's own account: an API key is
refused (403 `key_cannot_manage_keys`), as it is for making keys. The rules
are the services' (`factors/account.py`, `signin/reauth.py`); a change that
needs a fresh proof answers 401 `reauthentication_required` from there.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, Response
from fastapi.concurrency import run_in_threadpool

from admin_app.api.deps import AppSettings, Caller, Context, Database
from admin_app.api.factor_schemas import (
    AppOut,
    CodeIn,
    ConfirmedOut,
    FactorsOut,
    ReauthCodeOut,
    ReauthIn,
    ReauthMethod,
    RecoveryCodesOut,
    TotpStartIn,
    TotpStartOut,
    TrustedBrowserOut,
)
from admin_app.api.params import Id
from admin_app.api.passkey_schemas import PasskeyOut
from admin_app.api.routes.auth import ERRORS
from admin_app.db import session_scope
from admin_app.services.access import api_keys
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.devices import describe_device
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.factors import account, totp
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import reauth
from admin_app.settings import Settings

router = APIRouter(prefix="/auth", tags=["second factors"], responses=ERRORS)  # type: ignore[arg-type]

KEY_REFUSED = (
    "An API key cannot manage second factors or re-authenticate: "
    "sign in and use an access token for that."
)


async def signed_in(caller: Caller) -> Principal:
    api_keys.require_signed_in(caller, message=KEY_REFUSED)
    return caller


Own = Annotated[Principal, Depends(signed_in)]
BrowserId = Annotated[str, Path(min_length=1, max_length=128)]


def _app(info: totp.AppInfo) -> AppOut:
    return AppOut(
        id=info.id, name=info.name, created_at=info.created_at, last_used_at=info.last_used_at
    )


@router.get("/factors")
def list_factors(caller: Own, db: Database) -> FactorsOut:
    """The caller's authenticator apps, passkeys, recovery codes left, and trusted browsers.

    `reauth_methods` are the proofs `POST /auth/reauthenticate` takes from
    this user. Needs an access token.
    """
    user = users.get(db, caller.user_id)
    found = account.overview(db, user=user)
    return FactorsOut(
        apps=[_app(a) for a in found.apps],
        recovery_codes_left=found.recovery_left,
        trusted_browsers=[
            TrustedBrowserOut(
                id=b.id,
                device=describe_device(b.user_agent),
                ip=b.ip,
                created_at=b.created_at,
                expires_at=b.expires_at,
                last_used_at=b.last_used_at,
            )
            for b in found.browsers
        ],
        passkeys=[PasskeyOut.of(p) for p in found.passkeys],
        reauth_methods=cast(list[ReauthMethod], list(reauth.methods_for(db, user=user))),
    )


@router.post("/factors/totp", status_code=201)
def start_totp(body: TotpStartIn, caller: Own, db: Database, settings: AppSettings) -> TotpStartOut:
    """Begin adding an authenticator app: its secret, `otpauth://` URI and QR code (SVG).

    The app counts once confirmed with a code from it
    (`/auth/factors/totp/{factor_id}/confirm`); the secret is shown only
    here. Needs a fresh proof (401 `reauthentication_required`).
    """
    started = account.start_app(db, settings=settings, actor=caller, name=body.name)
    return TotpStartOut(
        factor_id=started.factor_id,
        name=started.name,
        secret=started.secret,
        otpauth_uri=started.uri,
        qr_svg=started.qr_svg,
    )


@router.post("/factors/totp/{factor_id}/confirm")
def confirm_totp(
    factor_id: Id, body: CodeIn, caller: Own, db: Database, ctx: Context, settings: AppSettings
) -> ConfirmedOut:
    """Confirm a new authenticator app with a 6-digit code from it; it counts from now on.

    With the first app come 10 recovery codes, in `recovery_codes`: shown
    only here, keep them. The user is mailed.
    """
    done = account.confirm_app(
        db, settings=settings, actor=caller, factor_id=factor_id, code=body.code, ctx=ctx
    )
    return ConfirmedOut(app=_app(done.app), recovery_codes=done.recovery_codes)


@router.delete("/factors/totp/{factor_id}", status_code=204, response_class=Response)
def remove_totp(
    factor_id: Id, caller: Own, db: Database, ctx: Context, settings: AppSettings
) -> Response:
    """Remove an authenticator app (with the last one, the recovery codes go too).

    Needs a fresh proof (401 `reauthentication_required`). The user is mailed.
    """
    account.remove_app(db, settings=settings, actor=caller, factor_id=factor_id, ctx=ctx)
    return Response(status_code=204)


@router.post("/factors/recovery-codes")
def regenerate_recovery_codes(
    caller: Own, db: Database, ctx: Context, settings: AppSettings
) -> RecoveryCodesOut:
    """Ten new recovery codes, shown only here; the old ones stop working.

    Needs an authenticator app and a fresh proof (401
    `reauthentication_required`). The user is mailed.
    """
    codes = account.regenerate_recovery(db, settings=settings, actor=caller, ctx=ctx)
    return RecoveryCodesOut(recovery_codes=codes)


@router.delete("/factors/browsers/{browser_id}", status_code=204, response_class=Response)
def forget_browser(browser_id: BrowserId, caller: Own, db: Database, ctx: Context) -> Response:
    """Stop trusting a browser: its next sign-in asks for the second step again."""
    account.forget_browser(db, actor=caller, browser_id=browser_id, ctx=ctx)
    return Response(status_code=204)


@router.post("/reauthenticate", status_code=204, response_class=Response)
def reauthenticate(
    body: ReauthIn, caller: Own, db: Database, ctx: Context, settings: AppSettings
) -> Response:
    """Prove it is you again; then retry what answered 401 `reauthentication_required`.

    `method` is one of `reauth_methods` (`GET /auth/factors`): `password`
    with `password`; `passkey` with the browser's answer to
    `/auth/reauthenticate/passkey-options` as `credential`; `totp` or
    `recovery` with `code`; `email` with the `otp_session_id` of
    `/auth/reauthenticate/email-code` and the mailed `code`. The proof holds
    `REAUTH_MINUTES` (10) for this sign-in's tokens.
    Wrong proofs spend the account's sign-in budget (429 past it).
    """
    reauth.reauthenticate(
        db,
        settings=settings,
        actor=caller,
        user=users.get(db, caller.user_id),
        method=body.method,
        ctx=ctx,
        password=body.password,
        # A passkey's answer travels to the service as its JSON text.
        code=json.dumps(body.credential) if body.method == "passkey" else body.code,
        otp_session_id=body.otp_session_id,
    )
    return Response(status_code=204)


def _send_code(caller: Principal, ctx: RequestContext, settings: Settings) -> CodeSent:
    with session_scope() as db:
        user = users.get(db, caller.user_id)
        return reauth.send_code_for(db, settings=settings, user=user, ctx=ctx)


@router.post("/reauthenticate/email-code")
async def reauthenticate_email_code(
    caller: Own, ctx: Context, settings: AppSettings
) -> ReauthCodeOut:
    """Mail a 6-digit code for `POST /auth/reauthenticate` with `method: "email"`."""
    sent = await run_in_threadpool(_send_code, caller, ctx, settings)
    # As the sign-in routes do: a stand-in wait is awaited on the event loop.
    await asyncio.sleep(sent.delay)
    return ReauthCodeOut(
        otp_session_id=sent.otp_session_id,
        expires_in=sent.expires_in,
        sent_to=sent.sent_to,
        resend_in=sent.resend_in,
    )
