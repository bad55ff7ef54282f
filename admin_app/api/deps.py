"""Dependencies of the API routes: the client context and the caller's identity.

Thin on purpose: which header holds the credential is decided here, and
what it is worth is decided by the services (`principals.for_access_token`,
`api_keys.for_key`), the same functions the service tests exercise.
"""

from __future__ import annotations

from fastapi import Request

from admin_app.api.client import request_context
from admin_app.errors import NotAuthenticated
from admin_app.services.access import api_keys, principals
from admin_app.services.access.principals import Principal
from admin_app.services.request_context import RequestContext
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


async def principal(request: Request) -> Principal:
    """The caller: an access token or an API key (`Authorization: Bearer` or `X-API-Key`)."""
    key = request.headers.get("x-api-key")
    if key is None:
        credential = bearer(request)
        if credential.startswith("ak_"):
            key = credential
    if key is not None:
        return await api_keys.for_key(key=key)
    return await principals.for_access_token(settings=get_settings(), token=bearer(request))
