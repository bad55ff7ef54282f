"""Every error the API answers is `{"detail": "<sentence>", "code": "<machine_code>"}`."""

from __future__ import annotations

import logging
import time
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_app import errors as coded
from admin_app.errors import DomainError, RateLimited

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024

STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def error(
    status: int, detail: str, code: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


# The status each coded error of the catalogue (admin_app/errors.py) answers
# with; a test checks that every error there has one.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    coded.DomainError: 400,
    coded.ValidationFailed: 422,
    coded.InvalidEmail: 422,
    coded.InvalidUsername: 422,
    coded.WeakPassword: 422,
    coded.Conflict: 409,
    coded.UsernameTaken: 409,
    coded.EmailTaken: 409,
    coded.LastAdmin: 409,
    coded.PasswordsOff: 409,
    coded.MfaFixed: 409,
    coded.SignsInAnotherWay: 409,
    coded.CannotUnlink: 409,
    coded.SignupCompleted: 409,
    coded.NotFound: 404,
    coded.InvalidCredentials: 401,
    coded.NotAuthenticated: 401,
    coded.InvalidRefreshToken: 401,
    coded.PermissionDenied: 403,
    coded.KeyCannotManageKeys: 403,
    coded.MissingPermissions: 403,
    coded.AccountDisabled: 403,
    coded.SignupDisabled: 403,
    coded.ForgotUnavailable: 403,
    coded.EmailNotVerified: 403,
    coded.ProofNeeded: 401,
    coded.MfaEnrolmentRequired: 403,
    coded.MethodNotAvailable: 400,
    coded.TooManyFactors: 409,
    coded.WrongFactorCode: 400,
    coded.PasskeyRefused: 400,
    coded.PasskeyRequestExpired: 400,
    coded.WrongCode: 400,
    coded.CodeExpired: 400,
    coded.CodeUsedUp: 400,
    coded.UnknownCodeSession: 400,
    coded.InvalidResetLink: 400,
    coded.RateLimited: 429,
    coded.MailNotSent: 503,
}


def status_of(exc: DomainError) -> int:
    """The HTTP status for a coded error: its own class's, else its nearest parent's."""
    for kind in type(exc).__mro__:
        if kind in DOMAIN_STATUS:
            return DOMAIN_STATUS[kind]
    return 400


async def _domain(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return error(status_of(exc), exc.message, exc.code, headers)


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for item in exc.errors()[:5]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        problems.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
    return error(422, "The request is not valid: " + "; ".join(problems) + ".", "invalid_request")


SENTENCES = {
    404: "There is nothing at this address.",
    405: "This address does not take that method.",
}


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail)
    if exc.status_code in SENTENCES and detail in ("Not Found", "Method Not Allowed"):
        detail = SENTENCES[exc.status_code]
    return error(
        exc.status_code,
        detail,
        STATUS_CODES.get(exc.status_code, "error"),
        dict(exc.headers) if exc.headers else None,
    )


DATABASE_RETRY_SECONDS = 5
# One log line per outage, not one traceback per request (an outage under load
# wrote 14 MB of tracebacks in 43 s): again only after this long without one.
OUTAGE_LOG_EVERY_SECONDS = 60.0
_outage = {"logged_at": -OUTAGE_LOG_EVERY_SECONDS, "refused": 0}


async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
    """The database does not answer (down, restarting, or SQLite's lock held): 503."""
    _outage["refused"] += 1
    moment = time.monotonic()
    if moment - _outage["logged_at"] >= OUTAGE_LOG_EVERY_SECONDS:
        log.error(
            "database unavailable (%s): answering 503; %d requests so since the last such line",
            type(getattr(exc, "orig", None) or exc).__name__,
            _outage["refused"],
        )
        _outage["logged_at"], _outage["refused"] = moment, 0
    return error(
        503,
        "The database is not answering; try again in a few seconds.",
        "database_unavailable",
        {"Retry-After": str(DATABASE_RETRY_SECONDS)},
    )


def _where(exc: BaseException) -> str:
    """The innermost line of our own code in the traceback."""
    found = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        if "/admin_app/" in frame.filename:
            found = f"{frame.filename.rsplit('/admin_app/', 1)[1]}:{frame.lineno}"
    return found


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, sa_exc.StatementError):
        # The driver's message can quote the values (PostgreSQL's "Key (email)=
        # (...) already exists"): log the statement and the error's kind only.
        primary = getattr(getattr(exc.orig, "diag", None), "message_primary", None)
        log.error(
            "database error %s (%s) at admin_app/%s on %s %s; statement: %s",
            type(exc.orig).__name__,
            primary or "no message",
            _where(exc),
            request.method,
            request.url.path,
            " ".join(str(exc.statement).split())[:500],
        )
    else:
        log.exception("unhandled error", exc_info=exc)
    return error(500, "Something went wrong on our side.", "internal_error")


def install(api: FastAPI) -> None:
    api.add_exception_handler(DomainError, _domain)
    api.add_exception_handler(RequestValidationError, _validation)
    api.add_exception_handler(StarletteHTTPException, _http)
    # Connection failures and pool timeouts; not errors of a statement itself.
    for outage in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        api.add_exception_handler(outage, _database_down)
    api.add_exception_handler(Exception, _unexpected)


class BodyLimit:
    """Refuse bodies over MAX_BODY_BYTES before anyone reads them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await error(413, "The request body is too large.", "body_too_large")(
                scope, receive, send
            )
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise StarletteHTTPException(413, "The request body is too large.")
            return message

        await self.app(scope, limited, send)
