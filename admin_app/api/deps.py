"""Dependencies of the API routes: the client context and the caller's identity."""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from admin_app.api.context import request_context
from admin_app.clock import now
from admin_app.db import fetch_all, session_scope
from admin_app.errors import NotAuthenticated
from admin_app.services import api_keys, principals
from admin_app.services.context import RequestContext
from admin_app.services.principals import Principal
from admin_app.settings import get_settings


def context(request: Request) -> RequestContext:
    return request_context(request)


def bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated(
            "Send an access token or API key: Authorization: Bearer <token>, or X-API-Key."
        )
    return value.strip()


def _touch(key_id: int) -> None:
    with session_scope() as db:
        db.execute(api_keys.TOUCH, {"key_id": key_id, "moment": now()})


async def _key_principal(key: str) -> Principal:
    """Reads without a thread hop (like tokens); the rare last-use write in a thread."""
    parsed = api_keys.parse(key)
    rows = await fetch_all(api_keys.BY_PREFIX, {"prefix": parsed[0]}) if parsed else []
    checked = api_keys.check(rows[0] if rows else None, key=key)
    owner_rows = await fetch_all(principals.PRINCIPAL_QUERY, {"user_id": checked.user_id})
    owner = principals.principal_from_rows(owner_rows, user_id=checked.user_id, stamp=None)
    if checked.needs_touch:
        await run_in_threadpool(_touch, checked.key_id)
    return api_keys.acting_as(owner, checked)


async def principal(request: Request) -> Principal:
    """The caller: an access token or an API key (`Authorization: Bearer` or `X-API-Key`)."""
    key = request.headers.get("x-api-key")
    if key is None:
        credential = bearer(request)
        if credential.startswith("ak_"):
            key = credential
    if key is not None:
        return await _key_principal(key)
    # The hot path: no thread hop (see db.fetch_all).
    user_id, stamp = principals.access_claims(get_settings(), bearer(request))
    rows = await fetch_all(principals.PRINCIPAL_QUERY, {"user_id": user_id})
    return principals.principal_from_rows(rows, user_id=user_id, stamp=stamp)
