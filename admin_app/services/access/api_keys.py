"""API keys for scripts and CI (SPEC section 7).

Format `ak_<prefix>_<secret>`: the prefix (public, indexed) finds the row,
the SHA-256 of the whole key is compared in constant time. A key acts with
the permissions it was given, never more than its owner has now.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.errors import (
    KeyCannotManageKeys,
    MissingPermissions,
    NotAuthenticated,
    NotFound,
    ValidationFailed,
)
from admin_app.mail import notices
from admin_app.models import ApiKey, User
from admin_app.services.access import fresh_proofs, permissions
from admin_app.services.access.principals import (
    PRINCIPAL_QUERY,
    Principal,
    principal_from_rows,
)
from admin_app.services.access.reads import ENGINE, Reader, SessionReader, run_inline
from admin_app.services.audit import trail
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

PREFIX_BYTES = 6
SECRET_BYTES = 32
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)

_keys = ApiKey.__table__  # type: ignore[attr-defined]
_owners = User.__table__  # type: ignore[attr-defined]
_BY_PREFIX = sa.select(
    _keys.c.id,
    _keys.c.user_id,
    _keys.c.key_hash,
    _keys.c.permissions,
    _keys.c.expires_at,
    _keys.c.revoked_at,
    _keys.c.last_used_at,
).where(_keys.c.prefix == sa.bindparam("prefix"))
_TOUCH = (
    sa.update(_keys)
    .where(_keys.c.id == sa.bindparam("key_id"))
    .values(last_used_at=sa.bindparam("moment", type_=_keys.c.last_used_at.type))
)


@dataclasses.dataclass(frozen=True)
class CreatedKey:
    id: int
    key: str
    prefix: str
    permissions: list[str]
    expires_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    prefix: str
    permissions: list[str]
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse(key: str) -> tuple[str, str] | None:
    """(prefix, key) when `key` has the shape of one of ours."""
    parts = key.strip().split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != "ak" or not parts[1] or not parts[2] or len(key) > 200:
        return None
    return parts[1], key.strip()


def require_signed_in(actor: Principal, *, message: str | None = None) -> None:
    """KeyCannotManageKeys (worded by `message` when given) when `actor` is an API key.

    A key that could mint keys would outlive its own revocation through its
    children; making and revoking keys needs a signed-in user. So do a
    user's own second factors and re-authentication.
    """
    if actor.via_key:
        raise KeyCannotManageKeys(message)


def create(
    session: Session,
    *,
    settings: Settings,
    owner: Principal,
    name: str,
    wanted: list[str],
    expires_at: dt.datetime | None,
    ctx: RequestContext,
) -> CreatedKey:
    """A new key; the full key is in the result and nowhere else, ever.

    A sensitive change: it needs a fresh proof of who is asking.
    """
    require_signed_in(owner)
    owner.require(permissions.API_KEYS_WRITE)
    fresh_proofs.require(session, actor=owner)
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise ValidationFailed("Give the key a name of at most 100 characters.", field="name")
    unknown = sorted(set(wanted) - set(permissions.names()))
    if unknown:
        raise ValidationFailed(
            "Unknown permissions: " + ", ".join(unknown) + ".", field="permissions"
        )
    missing = sorted(set(wanted) - set(owner.permissions))
    if missing:
        raise MissingPermissions(missing)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        if expires_at <= now():
            raise ValidationFailed("The expiry must be in the future.", field="expires_at")
    prefix = secrets.token_hex(PREFIX_BYTES)
    key = f"ak_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    granted = sorted(set(wanted))
    row = ApiKey(
        user_id=owner.user_id,
        name=name,
        prefix=prefix,
        key_hash=_digest(key),
        permissions=json.dumps(granted),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    trail.record(
        session,
        kind="api_key.created",
        ctx=ctx,
        user_id=owner.user_id,
        actor_id=owner.user_id,
        key_id=row.id,
        permissions=granted,
    )
    holder = session.get(User, owner.user_id)
    if holder is not None:
        notices.tell(
            session,
            settings=settings,
            to=holder.email,
            event=notices.Event.API_KEY_CREATED,
            ctx=ctx,
            user_id=owner.user_id,
            key_name=name,
        )
    return CreatedKey(id=row.id, key=key, prefix=prefix, permissions=granted, expires_at=expires_at)


def list_for(session: Session, *, user_id: int) -> list[KeyInfo]:
    rows = session.exec(
        select(ApiKey)
        .where(ApiKey.user_id == user_id, col(ApiKey.revoked_at).is_(None))
        .order_by(col(ApiKey.created_at).desc())
    ).all()
    return [
        KeyInfo(
            id=row.id or 0,
            name=row.name,
            prefix=row.prefix,
            permissions=json.loads(row.permissions),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
        )
        for row in rows
    ]


def list_own(session: Session, *, actor: Principal) -> list[KeyInfo]:
    """The caller's live keys (never the keys themselves); needs `api_keys:write`."""
    actor.require(permissions.API_KEYS_WRITE)
    return list_for(session, user_id=actor.user_id)


def revoke(session: Session, *, user_id: int, key_id: int, ctx: RequestContext) -> None:
    """Revoke one of the user's own keys; it stops working at once."""
    row = session.get(ApiKey, key_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        raise NotFound("No such key.")
    row.revoked_at = now()
    session.add(row)
    trail.record(
        session, kind="api_key.revoked", ctx=ctx, user_id=user_id, actor_id=user_id, key_id=key_id
    )


def revoke_all(
    session: Session,
    *,
    user_id: int,
    reason: str,
    ctx: RequestContext,
    actor_id: int | None = None,
) -> list[int]:
    """Revoke every live key of a user for good; the ids of those revoked.

    Called where disabling, a password change or a reset is done: a key
    copied by whoever made those necessary must not come back when the
    account is enabled again, so the keys are revoked, not just refused.
    """
    revoked = session.execute(
        sa.update(_keys)
        .where(_keys.c.user_id == user_id, _keys.c.revoked_at.is_(None))
        .values(revoked_at=now())
        .returning(_keys.c.id)
    ).all()
    key_ids = sorted(row[0] for row in revoked)
    for key_id in key_ids:
        trail.record(
            session,
            kind="api_key.revoked",
            ctx=ctx,
            user_id=user_id,
            actor_id=actor_id,
            key_id=key_id,
            reason=reason,
        )
    return key_ids


def revoke_own(session: Session, *, actor: Principal, key_id: int, ctx: RequestContext) -> None:
    """Revoke one of the signed-in caller's keys (never on a key's say-so)."""
    require_signed_in(actor)
    actor.require(permissions.API_KEYS_WRITE)
    revoke(session, user_id=actor.user_id, key_id=key_id, ctx=ctx)


# The key and its owner in one read (the hot path of every key-authenticated
# request): the key's columns, then PRINCIPAL_QUERY's, for each of the owner's
# roles. The owner's live state is what counts, as with an access token.
_KEY_COLUMNS = len(_BY_PREFIX.selected_columns)
_KEY_AND_OWNER = (
    sa.select(*_BY_PREFIX.selected_columns, *PRINCIPAL_QUERY.selected_columns)
    .select_from(PRINCIPAL_QUERY.get_final_froms()[0].join(_keys, _keys.c.user_id == _owners.c.id))
    .where(_keys.c.prefix == sa.bindparam("prefix"))
)

BY_PREFIX = _BY_PREFIX
TOUCH = _TOUCH


@dataclasses.dataclass(frozen=True)
class CheckedKey:
    key_id: int
    user_id: int
    granted: frozenset[str]
    needs_touch: bool


def check(row: Any, *, key: str) -> CheckedKey:
    """Pure: does `key` match the row BY_PREFIX found (None when it found none)?"""
    parsed = parse(key)
    # Compare against something even when the prefix is unknown, so the
    # answer takes the same time either way.
    stored = row.key_hash if row is not None else _digest("ak_none_none")
    if parsed is None or not hmac.compare_digest(stored, _digest(parsed[1])) or row is None:
        raise NotAuthenticated("That API key is not valid.")
    moment = now()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= moment):
        raise NotAuthenticated("That API key has been revoked or has expired.")
    return CheckedKey(
        key_id=row.id,
        user_id=row.user_id,
        granted=frozenset(json.loads(row.permissions)),
        needs_touch=row.last_used_at is None or moment - row.last_used_at > LAST_USED_RESOLUTION,
    )


def acting_as(owner: Principal, checked: CheckedKey) -> Principal:
    """The key's own permissions, never more than its owner has now."""
    return dataclasses.replace(
        owner, permissions=sorted(checked.granted & set(owner.permissions)), via_key=True
    )


async def for_key(*, key: str, reader: Reader = ENGINE) -> Principal:
    """The principal a key acts as, or NotAuthenticated; the last use is recorded
    at most once a minute. The API's path (`reader`: no-thread-hop reads)."""
    parsed = parse(key)
    params = {"prefix": parsed[0], "family": None} if parsed else {}
    rows = await reader.fetch(_KEY_AND_OWNER, params) if parsed else []
    checked = check(rows[0] if rows else None, key=key)
    owner = principal_from_rows(
        [tuple(row)[_KEY_COLUMNS:] for row in rows], user_id=checked.user_id, stamp=None
    )
    if checked.needs_touch:
        await reader.write(_TOUCH, {"key_id": checked.key_id, "moment": now()})
    return acting_as(owner, checked)


def authenticate(db: Session | sa.Connection, *, key: str) -> Principal:
    """`for_key` for a caller that holds a session (the same code, run inline)."""
    return run_inline(for_key(key=key, reader=SessionReader(db)))
