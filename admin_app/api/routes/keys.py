"""/api/keys: a user's own API keys (SPEC section 7)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from admin_app.api.deps import AppSettings, Caller, Context, Database
from admin_app.api.params import Id
from admin_app.api.routes.auth import ERRORS
from admin_app.services.access import api_keys, permissions

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
def list_keys(caller: Caller, db: Database) -> list[KeyOut]:
    """The caller's live keys (never the keys themselves); needs `api_keys:write`."""
    return [KeyOut(**vars(k)) for k in api_keys.list_own(db, actor=caller)]


@router.post("", status_code=201)
def create_key(
    body: KeyIn, caller: Caller, db: Database, ctx: Context, settings: AppSettings
) -> CreatedKeyOut:
    """Create a key with a subset of the caller's permissions; `key` is shown only here.

    Needs a signed-in user (an access token): an API key cannot create keys.
    """
    created = api_keys.create(
        db,
        settings=settings,
        owner=caller,
        name=body.name,
        wanted=body.permissions,
        expires_at=body.expires_at,
        ctx=ctx,
    )
    return CreatedKeyOut(**vars(created))


@router.delete("/{key_id}", status_code=204, response_class=Response)
def revoke_key(key_id: Id, caller: Caller, db: Database, ctx: Context) -> Response:
    """Revoke one of the caller's keys; it stops working at once.

    Needs a signed-in user (an access token): an API key cannot revoke keys.
    """
    api_keys.revoke_own(db, actor=caller, key_id=key_id, ctx=ctx)
    return Response(status_code=204)
