"""/auth/passkeys: signing in with a passkey, meeting a factor step or a
re-authentication with one, and a signed-in user's own passkeys.

Each ceremony is two calls: options for the browser's
`navigator.credentials.get` (or `.create`), then its answer, the JSON object
of `PublicKeyCredential.toJSON()`. A challenge is good once, for two
minutes (400 `passkey_request_expired` past that); an answer that does not
verify is 400 `passkey_refused`, its reason audited, never told. The rules
are the services' (`signin/with_passkey.py`, `signin/second_step.py`,
`signin/reauth.py`, `factors/passkey_account.py`).

The sign-in routes need no credential and run their work in a thread, in
transactions of their own, as `/auth/login` does; the rest are for a
signed-in user's own account and refuse an API key (403
`key_cannot_manage_keys`), as `/auth/factors` does.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from admin_app.api.deps import AppSettings, Context, Database
from admin_app.api.params import Id
from admin_app.api.passkey_schemas import (
    PasskeyAddedOut,
    PasskeyAddIn,
    PasskeyMadeIn,
    PasskeyOptionsOut,
    PasskeyOut,
    PasskeySignInIn,
    PasskeyStepAnswerIn,
    PasskeyStepIn,
)
from admin_app.api.routes.auth import ERRORS, _answered, _tokens
from admin_app.api.routes.factors import Own
from admin_app.api.schemas import OtpRequiredOut, TokensOut
from admin_app.db import session_scope
from admin_app.models import User
from admin_app.services.accounts import users
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.factors import passkey_account
from admin_app.services.passkeys import ceremony, credentials
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import handover, reauth, second_step, stages, with_passkey
from admin_app.settings import Settings

router = APIRouter(prefix="/auth", tags=["passkeys"], responses=ERRORS)  # type: ignore[arg-type]

METHOD = with_passkey.METHOD


def _handed_over(
    db: Session, outcome: User | CodeSent, ctx: RequestContext, settings: Settings
) -> TokensOut | CodeSent:
    """Tokens for a user who passed every step; a step left as it is."""
    if isinstance(outcome, CodeSent):
        return outcome
    return _tokens(
        handover.api_tokens_for(db, settings=settings, user=outcome, ctx=ctx, method=METHOD)
    )


# Sign-in ------------------------------------------------------------------


def _signin_options(ctx: RequestContext, settings: Settings) -> ceremony.Options:
    with session_scope() as db:
        return with_passkey.options(db, settings=settings, ctx=ctx)


@router.post("/passkeys/signin/options")
async def signin_options(ctx: Context, settings: AppSettings) -> PasskeyOptionsOut:
    """Begin a sign-in with a passkey: options for `navigator.credentials.get`.

    No identifier: the options name no account, and the browser offers the
    passkeys it holds for this site. Answer within `expires_in` seconds with
    `POST /auth/passkeys/signin` and this `attempt_id`. 429 past 120 a minute
    from one network.
    """
    return PasskeyOptionsOut.of(await run_in_threadpool(_signin_options, ctx, settings))


def _sign_in(
    body: PasskeySignInIn, ctx: RequestContext, settings: Settings
) -> TokensOut | CodeSent:
    with session_scope() as db:
        outcome = with_passkey.sign_in(
            db,
            settings=settings,
            attempt_id=body.attempt_id,
            credential=json.dumps(body.credential),
            ctx=ctx,
        )
        return _handed_over(db, outcome, ctx, settings)


@router.post("/passkeys/signin")
async def sign_in(
    body: PasskeySignInIn, ctx: Context, settings: AppSettings
) -> TokensOut | OtpRequiredOut:
    """Sign in with the browser's answer to the sign-in options.

    Answers the token pair: a passkey that verified its user (a PIN or a
    fingerprint) is both factors. Without that it is one, and `otp_required`
    follows where a password sign-in would have a second step (the email
    code, or an authenticator app); meet it with `/auth/verify-otp`. 403
    `mfa_enrollment_required` as for `/auth/login`.
    """
    outcome = await run_in_threadpool(_sign_in, body, ctx, settings)
    return await _answered(outcome) if isinstance(outcome, CodeSent) else outcome


def _step_options(body: PasskeyStepIn, settings: Settings) -> ceremony.Options:
    with session_scope() as db:
        return second_step.passkey_options(
            db, settings=settings, otp_session_id=body.otp_session_id
        )


@router.post("/passkeys/factor/options")
async def factor_options(body: PasskeyStepIn, settings: AppSettings) -> PasskeyOptionsOut:
    """Options to meet a factor step with a passkey, for `navigator.credentials.get`.

    For an `otp_required` step whose `methods` include `passkey`; the options
    list that user's passkeys. 400 `method_not_available` for another step.
    """
    return PasskeyOptionsOut.of(await run_in_threadpool(_step_options, body, settings))


def _step(
    body: PasskeyStepAnswerIn, ctx: RequestContext, settings: Settings
) -> TokensOut | CodeSent:
    with session_scope() as db:
        outcome = stages.complete(
            db,
            settings=settings,
            otp_session_id=body.otp_session_id,
            code=json.dumps(body.credential),
            ctx=ctx,
            method=METHOD,
        )
        return _handed_over(db, outcome, ctx, settings)


@router.post("/passkeys/factor")
async def factor(
    body: PasskeyStepAnswerIn, ctx: Context, settings: AppSettings
) -> TokensOut | OtpRequiredOut:
    """Meet a factor step with the browser's answer to `/auth/passkeys/factor/options`.

    Answers the token pair, or `otp_required` when another step is left
    (the email code that `EMAIL_CODE_ALWAYS` keeps). The answer must be from
    a passkey of the step's user.
    """
    outcome = await run_in_threadpool(_step, body, ctx, settings)
    return await _answered(outcome) if isinstance(outcome, CodeSent) else outcome


# Re-authentication --------------------------------------------------------


@router.post("/reauthenticate/passkey-options")
def reauthenticate_passkey_options(
    caller: Own, db: Database, settings: AppSettings
) -> PasskeyOptionsOut:
    """Options to re-authenticate with one of the caller's passkeys.

    Then `POST /auth/reauthenticate` with `method: "passkey"` and the
    browser's answer as `credential`. 400 `passkey_refused` when the caller
    has no passkey.
    """
    made = reauth.passkey_options(
        db, settings=settings, actor=caller, user=users.get(db, caller.user_id)
    )
    return PasskeyOptionsOut.of(made)


# The caller's own passkeys ------------------------------------------------


@router.get("/passkeys")
def list_passkeys(caller: Own, db: Database) -> list[PasskeyOut]:
    """The caller's passkeys, oldest first. Needs an access token."""
    return [PasskeyOut.of(p) for p in credentials.list_for(db, user_id=caller.user_id)]


@router.post("/passkeys/register/options")
def register_options(
    body: PasskeyAddIn, caller: Own, db: Database, settings: AppSettings
) -> PasskeyOptionsOut:
    """Begin adding a passkey named `name`: options for `navigator.credentials.create`.

    The caller's other passkeys are excluded. Needs a fresh proof (401
    `reauthentication_required`); 409 `too_many_factors` past 10 passkeys.
    Then `POST /auth/passkeys/register` with the browser's answer.
    """
    return PasskeyOptionsOut.of(
        passkey_account.start_adding(db, settings=settings, actor=caller, name=body.name)
    )


@router.post("/passkeys/register", status_code=201)
def register(
    body: PasskeyMadeIn, caller: Own, db: Database, ctx: Context, settings: AppSettings
) -> PasskeyAddedOut:
    """Keep the passkey the browser made for `/auth/passkeys/register/options`.

    With the first strong factor (no authenticator app or passkey before)
    come 10 recovery codes, in `recovery_codes`: shown only here. The user is
    mailed.
    """
    added = passkey_account.finish_adding(
        db, settings=settings, actor=caller, credential=json.dumps(body.credential), ctx=ctx
    )
    return PasskeyAddedOut(
        passkey=PasskeyOut.of(added.passkey), recovery_codes=added.recovery_codes
    )


@router.delete("/passkeys/{passkey_id}", status_code=204, response_class=Response)
def remove(
    passkey_id: Id, caller: Own, db: Database, ctx: Context, settings: AppSettings
) -> Response:
    """Remove a passkey: it stops working at once (with the last strong
    factor, the recovery codes go too).

    Needs a fresh proof (401 `reauthentication_required`). The user is mailed.
    """
    passkey_account.remove(db, settings=settings, actor=caller, passkey_id=passkey_id, ctx=ctx)
    return Response(status_code=204)
