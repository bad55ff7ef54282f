"""/api/keys: a user's own API keys (SPEC section 7)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from admin_app.api.deps import context, principal
from admin_app.api.params import Id
from admin_app.api.routes.auth import ERRORS
from admin_app.db import session_scope
from admin_app.services.access import api_keys, permissions
from admin_app.services.access.principals import Principal
from admin_app.services.request_context import RequestContext

router = APIRouter(prefix="/api/keys", tags=["api keys"], responses=ERRORS)  # type: ignore[arg-type]


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    permissions: list[str] = Field(max_length=permissions.MAX_PER_KEY)
    expires_at: dt.datetime | None = None


class CreatedKeyOut(BaseModel):
    id: int
    key: str
    prefix: str
    permissions: list[str]
    expires_at: dt.datetime | None


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    permissions: list[str]
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None


@router.get("")
def list_keys(caller: Principal = Depends(principal)) -> list[KeyOut]:
    """The caller's live keys (never the keys themselves); needs `api_keys:write`."""
    caller.require(permissions.API_KEYS_WRITE)
    with session_scope() as db:
        return [KeyOut(**vars(k)) for k in api_keys.list_for(db, user_id=caller.user_id)]


@router.post("", status_code=201)
def create_key(
    body: KeyIn, caller: Principal = Depends(principal), ctx: RequestContext = Depends(context)
) -> CreatedKeyOut:
    """Create a key with a subset of the caller's permissions; `key` is shown only here.

    Needs a signed-in user (an access token): an API key cannot create keys.
    """
    with session_scope() as db:
        created = api_keys.create(
            db,
            owner=caller,
            name=body.name,
            wanted=body.permissions,
            expires_at=body.expires_at,
            ctx=ctx,
        )
    return CreatedKeyOut(**vars(created))


@router.delete("/{key_id}", status_code=204, response_class=Response)
def revoke_key(
    key_id: Id, caller: Principal = Depends(principal), ctx: RequestContext = Depends(context)
) -> Response:
    """Revoke one of the caller's keys; it stops working at once.

    Needs a signed-in user (an access token): an API key cannot revoke keys.
    """
    with session_scope() as db:
        api_keys.revoke_own(db, actor=caller, key_id=key_id, ctx=ctx)
    return Response(status_code=204)
