"""Dependencies of the API routes: settings, a database session, the client
context and the caller's identity, so that a route holds only its own work.

Thin on purpose: which header holds the credential is decided here, and
what it is worth is decided by the services (`principals.for_access_token`,
`api_keys.for_key`), the same functions the service tests exercise.

`Database` is one transaction per request, committed when the route
returns and rolled back when it raises (`scope="function"`: before the
answer is sent, so a failed commit is still the answer). The sign-in routes
do not use it: their commits fall between stages (a counted attempt before
argon2, a code before its mail), so they open their scopes in their threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from admin_app.api.client import request_context
from admin_app.db import session_scope
from admin_app.errors import NotAuthenticated
from admin_app.services.access import api_keys, principals
from admin_app.services.access.principals import Principal
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings, get_settings


# `async`, like every dependency here but the session: a sync one would cost
# each request a hop to the thread pool.
async def app_settings() -> Settings:
    return get_settings()


def database() -> Iterator[Session]:
    with session_scope() as db:
        yield db


async def context(request: Request) -> RequestContext:
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


AppSettings = Annotated[Settings, Depends(app_settings)]
Database = Annotated[Session, Depends(database, scope="function")]
Context = Annotated[RequestContext, Depends(context)]
Caller = Annotated[Principal, Depends(principal)]
