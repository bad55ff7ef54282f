"""The only routes that set or clear the HttpOnly `token` (and `trusted_browser`) cookies."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from admin_app.api.client import request_context, same_origin
from admin_app.api.deps import AppSettings
from admin_app.db import session_scope
from admin_app.paths import COOKIE_NAME, TRUSTED_BROWSER_COOKIE
from admin_app.security.redirects import safe_next
from admin_app.services.access import browser_sessions
from admin_app.services.factors import trusted
from admin_app.services.signin import handover
from admin_app.settings import Settings

router = APIRouter(include_in_schema=False)


def set_session_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=settings.session_cookie_max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=settings.cookie_secure
    )


def _refuse_cross_site() -> Response:
    return PlainTextResponse(
        "This request did not come from this site's own pages.", status_code=403
    )


@router.post("/auth/session")
async def hand_off(
    request: Request, settings: AppSettings, ticket: str = Form(""), next: str = Form("/")
) -> Response:
    """Trade a single-use sign-in ticket for the session cookie, then go on to `next`."""
    if not same_origin(request, settings):
        return _refuse_cross_site()

    ctx = request_context(request, settings)

    def redeem() -> handover.HandedOff | None:
        with session_scope() as db:
            return handover.hand_off(db, settings=settings, ticket=ticket, ctx=ctx)

    handed = await run_in_threadpool(redeem)
    target = safe_next(next)
    if handed is None:
        return RedirectResponse(
            f"/login?error=expired&next={quote(target, safe='/')}", status_code=303
        )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, settings, handed.cookie)
    if handed.trusted_browser is not None:
        response.set_cookie(
            TRUSTED_BROWSER_COOKIE,
            handed.trusted_browser,
            max_age=int(trusted.lifetime(settings).total_seconds()),
            path="/",
            httponly=True,
            samesite="lax",
            secure=settings.cookie_secure,
        )
    return response


@router.post("/auth/signout")
async def sign_out(request: Request, settings: AppSettings) -> Response:
    """End this browser's session on the server and clear its cookie."""
    if not same_origin(request, settings):
        return _refuse_cross_site()
    token = request.cookies.get(COOKIE_NAME)
    ctx = request_context(request, settings)

    def revoke() -> None:
        with session_scope() as db:
            browser_sessions.sign_out(db, settings=settings, token=token, ctx=ctx)

    await run_in_threadpool(revoke)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, settings)
    return response
