"""/api/users: user management (SPEC section 9), each route guarded by its permission."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from admin_app.api.deps import AppSettings, Caller, Context, Database
from admin_app.api.params import Id, PageNumber
from admin_app.api.routes.auth import ERRORS
from admin_app.services.accounts import users
from admin_app.services.admin import directory, manage
from admin_app.services.limits import lockout

router = APIRouter(prefix="/api/users", tags=["users"], responses=ERRORS)  # type: ignore[arg-type]


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    email: str
    is_active: bool
    is_admin: bool
    mfa_enabled: bool
    created_at: dt.datetime
    # Second factors: confirmed authenticator apps, passkeys, unused recovery codes.
    authenticator_apps: int = 0
    passkeys: int = 0
    recovery_codes_left: int = 0
    # Password sign-in refused after 100 failures in a row, until unlocked.
    locked: bool = False


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    page: int
    page_size: int


class UserCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    password: str | None = Field(default=None, max_length=4096)
    is_admin: bool = False
    is_active: bool = True


class UserUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(default=None, max_length=64)
    full_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    password: str | None = Field(default=None, max_length=4096)
    is_admin: bool | None = None
    is_active: bool | None = None


class ResetLinkOut(BaseModel):
    url: str
    expires_at: dt.datetime


def _out(row: directory.UserRow, locked: set[int] | None = None) -> UserOut:
    return UserOut(**vars(row), locked=row.id in (locked or set()))


def _one(db: Session, row: directory.UserRow) -> UserOut:
    return _out(row, lockout.locked_ids(db, [row.id]))


@router.get("")
def list_users(
    caller: Caller,
    db: Database,
    search: str = Query("", max_length=100),
    page: PageNumber = 1,
    page_size: int = Query(25, ge=1, le=100),
) -> UserPage:
    """Search (username, email, name) and page through users. Needs `users:read`."""
    found = directory.search(db, actor=caller, query=search, page=page, page_size=page_size)
    locked = lockout.locked_ids(db, [r.id for r in found.items])
    return UserPage(
        items=[_out(r, locked) for r in found.items],
        total=found.total,
        page=found.page,
        page_size=found.page_size,
    )


@router.post("", status_code=201)
def create_user(
    body: UserCreateIn, caller: Caller, db: Database, ctx: Context, settings: AppSettings
) -> UserOut:
    """Create a user. Needs `users:write`."""
    row = manage.create(
        db,
        actor=caller,
        settings=settings,
        data=users.NewUser(
            username=body.username,
            full_name=body.full_name,
            email=body.email,
            password=body.password,
            is_admin=body.is_admin,
        ),
        ctx=ctx,
        active=body.is_active,
    )
    return _one(db, row)


@router.get("/{user_id}")
def get_user(user_id: Id, caller: Caller, db: Database) -> UserOut:
    """One user. Needs `users:read`."""
    return _one(db, directory.get_row(db, actor=caller, user_id=user_id))


@router.patch("/{user_id}")
def update_user(
    user_id: Id,
    body: UserUpdateIn,
    caller: Caller,
    db: Database,
    ctx: Context,
    settings: AppSettings,
) -> UserOut:
    """Change a user: name, email, username, active, Admin, password. Needs `users:write`."""
    row = manage.update(
        db,
        actor=caller,
        user_id=user_id,
        changes=manage.UserChanges(
            username=body.username,
            full_name=body.full_name,
            email=body.email,
            is_active=body.is_active,
            is_admin=body.is_admin,
            password=body.password,
        ),
        ctx=ctx,
        settings=settings,
    )
    return _one(db, row)


@router.delete("/{user_id}", status_code=204, response_class=Response)
def delete_user(user_id: Id, caller: Caller, db: Database, ctx: Context) -> Response:
    """Delete a user (never the last active Admin). Needs `users:write`."""
    manage.delete(db, actor=caller, user_id=user_id, ctx=ctx)
    return Response(status_code=204)


@router.post("/{user_id}/reset-link")
def create_reset_link(
    user_id: Id, caller: Caller, db: Database, ctx: Context, settings: AppSettings
) -> ResetLinkOut:
    """A one-time password-reset link, valid 24 h, to hand over. Needs `users:write`."""
    link = manage.reset_link(db, actor=caller, settings=settings, user_id=user_id, ctx=ctx)
    return ResetLinkOut(url=link.url, expires_at=link.expires_at)


@router.post("/{user_id}/reset-factors")
def reset_factors(
    user_id: Id, caller: Caller, db: Database, ctx: Context, settings: AppSettings
) -> UserOut:
    """Remove every second factor of a user who lost them: apps, recovery codes, trusted browsers.

    The user signs in with what is left (password, email code), and is mailed;
    audited `factors.reset`. Needs `users:write` and a fresh proof (401
    `reauthentication_required`; an API key needs none).
    """
    row = manage.reset_factors(db, actor=caller, settings=settings, user_id=user_id, ctx=ctx)
    return _one(db, row)


@router.post("/{user_id}/unlock")
def unlock_user(user_id: Id, caller: Caller, db: Database, ctx: Context) -> UserOut:
    """Reopen password sign-in after 100 failures in a row (audited). Needs `users:write`."""
    lockout.unlock(db, actor=caller, user_id=user_id, ctx=ctx)
    return _one(db, directory.get_row(db, actor=caller, user_id=user_id))
