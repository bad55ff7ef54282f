"""Dependencies of the API routes: the client context and the caller's identity."""

from __future__ import annotations

from fastapi import Request

from admin_app.api.context import request_context
from admin_app.db import fetch_all
from admin_app.errors import NotAuthenticated
from admin_app.services import api_tokens
from admin_app.services.api_tokens import Principal
from admin_app.services.context import RequestContext
from admin_app.settings import get_settings


def context(request: Request) -> RequestContext:
    return request_context(request)


def bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated("Send an access token: Authorization: Bearer <token>.")
    return value.strip()


async def principal(request: Request) -> Principal:
    """The caller, from `Authorization: Bearer <access token>` (see db.fetch_all)."""
    user_id, stamp = api_tokens.access_claims(get_settings(), bearer(request))
    rows = await fetch_all(api_tokens.PRINCIPAL_QUERY, {"user_id": user_id})
    return api_tokens.principal_from_rows(rows, user_id=user_id, stamp=stamp)
