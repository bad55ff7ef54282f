"""The auth API (SPEC section 6): the same sign-in stages as the pages."""

from __future__ import annotations

import asyncio
from typing import cast

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from admin_app.api.deps import AppSettings, Context, Database, principal
from admin_app.api.schemas import (
    ErrorOut,
    LoginIn,
    MeOut,
    Method,
    OtpRequiredOut,
    RefreshIn,
    ResendOtpIn,
    SignupIn,
    TokensOut,
    VerifyOtpIn,
)
from admin_app.db import session_scope
from admin_app.services.access import api_tokens
from admin_app.services.accounts import hashing_pool, signup
from admin_app.services.accounts.users import NewUser
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import handover, plan, stages
from admin_app.settings import Settings, get_settings

ERRORS = {status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 413, 422, 429, 503)}
router = APIRouter(prefix="/auth", tags=["auth"], responses=ERRORS)  # type: ignore[arg-type]


def _otp_required(sent: CodeSent) -> OtpRequiredOut:
    return OtpRequiredOut(
        otp_session_id=sent.otp_session_id,
        expires_in=sent.expires_in,
        sent_to=sent.sent_to,
        resend_in=sent.resend_in,
        methods=cast(list[Method], list(sent.methods)),
        code_mailed=sent.mailed,
    )


def _tokens(pair: api_tokens.TokenPair) -> TokensOut:
    return TokensOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
    )


def _login(body: LoginIn, ctx: RequestContext, settings: Settings) -> TokensOut | CodeSent:
    with session_scope() as db:
        outcome = stages.begin(
            db, settings=settings, identifier=body.identifier, password=body.password, ctx=ctx
        )
        if isinstance(outcome, CodeSent):
            return outcome
        return _tokens(
            handover.api_tokens_for(db, settings=settings, user=outcome, ctx=ctx, method="password")
        )


async def _answered(sent: CodeSent) -> OtpRequiredOut:
    # A decoy's stand-in wait is awaited here, on the event loop: forty of
    # them must not hold the thread pool a real sign-in needs.
    await asyncio.sleep(sent.delay)
    return _otp_required(sent)


@router.get("/me", response_model=MeOut)
async def me(request: Request) -> Response:
    """The caller, their roles and effective permissions."""
    # The hottest route. Its credential check is called, not declared, which
    # spares FastAPI's dependency solving; its answer is serialised here,
    # once, rather than validated again against `response_model` (which
    # stays for the schema).
    caller, settings = await principal(request), get_settings()
    answer = MeOut(
        id=caller.user_id,
        username=caller.username,
        full_name=caller.full_name,
        email=caller.email,
        mfa_enabled=plan.code_due(settings, mfa_enabled=caller.mfa_enabled),
        roles=caller.roles,
        permissions=caller.permissions,
    )
    return Response(answer.model_dump_json(), media_type="application/json")


@router.post("/login")
async def login(body: LoginIn, ctx: Context, settings: AppSettings) -> TokensOut | OtpRequiredOut:
    """Sign in with an email or username (and a password in password modes).

    Answers the token pair, or `otp_required` when a second step is due: a
    mailed code (`methods: ["email"]`), or a second factor (`methods` lists
    `totp`, `recovery` and maybe `email`; `code_mailed` false until the email
    code is asked for with `/auth/resend-otp`). Then call `/auth/verify-otp`.
    Unknown users get the same answers as wrong passwords. 403
    `mfa_enrollment_required` when the MFA policy wants an authenticator app
    this user has not added yet (add it in a browser).
    """
    outcome = await hashing_pool.admitted(_login, body, ctx, settings)
    return await _answered(outcome) if isinstance(outcome, CodeSent) else outcome


@router.post("/verify-otp")
def verify_otp(
    body: VerifyOtpIn, db: Database, ctx: Context, settings: AppSettings
) -> TokensOut | OtpRequiredOut:
    """Meet a sign-in step: the mailed 6-digit code, or a second factor by `method`.

    `method` is one of the step's `methods` (`email`, `totp`, `recovery`);
    left out, the first of them. Answers the token pair, or `otp_required`
    again with a new `otp_session_id` when another step is due (such as an
    authenticator code after the email code). Finishes sign-ups too.
    """
    outcome = stages.complete(
        db,
        settings=settings,
        otp_session_id=body.otp_session_id,
        code=body.code,
        ctx=ctx,
        method=body.method,
    )
    if isinstance(outcome, CodeSent):
        return _otp_required(outcome)
    method = "code" if body.method in (None, "email") else body.method
    return _tokens(
        handover.api_tokens_for(db, settings=settings, user=outcome, ctx=ctx, method=method)
    )


def _resend(body: ResendOtpIn, ctx: RequestContext, settings: Settings) -> CodeSent:
    with session_scope() as db:
        return stages.resend(db, settings=settings, otp_session_id=body.otp_session_id, ctx=ctx)


@router.post("/resend-otp")
async def resend_otp(body: ResendOtpIn, ctx: Context, settings: AppSettings) -> OtpRequiredOut:
    """Mail a new code (60 s after the last one); the answer carries a new `otp_session_id`.

    On a second-factor step (`code_mailed` false) this mails the email code at
    once, when `email` is among its `methods`; later resends wait 60 s.
    """
    return await _answered(await run_in_threadpool(_resend, body, ctx, settings))


def _refresh(body: RefreshIn, ctx: RequestContext, settings: Settings) -> api_tokens.TokenPair:
    with session_scope() as db:
        return api_tokens.refresh(db, settings=settings, refresh_token=body.refresh_token, ctx=ctx)


@router.post("/refresh")
async def refresh(body: RefreshIn, ctx: Context, settings: AppSettings) -> TokensOut:
    """Trade a refresh token for a new pair; the old refresh token dies (rotation)."""
    # One hop to a worker thread for the whole transaction; the `Database`
    # dependency would take three (open, route, commit) on a hot route.
    return _tokens(await run_in_threadpool(_refresh, body, ctx, settings))


@router.post("/logout", status_code=204, response_class=Response)
def logout(body: RefreshIn, db: Database, settings: AppSettings) -> Response:
    """End the refresh token's whole family, and its access tokens with it."""
    api_tokens.logout(db, settings=settings, refresh_token=body.refresh_token)
    return Response(status_code=204)


def _signup(body: SignupIn, ctx: RequestContext, settings: Settings) -> CodeSent:
    with session_scope() as db:
        return signup.begin(
            db,
            settings=settings,
            data=NewUser(
                username=body.username,
                full_name=body.full_name,
                email=body.email,
                password=body.password,
            ),
            ctx=ctx,
        )


@router.post("/signup")
async def signup_start(body: SignupIn, ctx: Context, settings: AppSettings) -> OtpRequiredOut:
    """Start a sign-up: a code goes to the email; `/auth/verify-otp` creates the account."""
    return await _answered(await hashing_pool.admitted(_signup, body, ctx, settings))
