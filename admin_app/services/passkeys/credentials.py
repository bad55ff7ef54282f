"""A user's passkeys: listed, found by credential id, added, renamed on the
way in, removed. A removed passkey stops working at once: every ceremony
looks its row up when it verifies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import sqlalchemy as sa
from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.errors import NotFound, TooManyFactors, ValidationFailed
from admin_app.models import Passkey
from admin_app.services.factors import naming

MAX_PASSKEYS = 10

table = Passkey.__table__  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PasskeyInfo:
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    # Synced between devices (a password manager's, a phone's cloud account).
    synced: bool


def info(row: Passkey) -> PasskeyInfo:
    return PasskeyInfo(
        id=row.id or 0,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        synced=row.multi_device,
    )


def rows_of(session: Session, *, user_id: int) -> list[Passkey]:
    return list(
        session.exec(
            select(Passkey).where(Passkey.user_id == user_id).order_by(col(Passkey.id))
        ).all()
    )


def list_for(session: Session, *, user_id: int) -> list[PasskeyInfo]:
    return [info(row) for row in rows_of(session, user_id=user_id)]


def has_any(session: Session, *, user_id: int) -> bool:
    found = session.execute(sa.select(table.c.id).where(table.c.user_id == user_id).limit(1))
    return found.first() is not None


def find(session: Session, *, credential_id: str) -> Passkey | None:
    return session.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first()


def clean_name(name: str) -> str:
    return naming.clean_name(name, kind="passkey", such_as="the device it is on")


def check_room(session: Session, *, user_id: int) -> None:
    if len(rows_of(session, user_id=user_id)) >= MAX_PASSKEYS:
        raise TooManyFactors(f"This account has {MAX_PASSKEYS} passkeys already. Remove one first.")


def add(
    session: Session,
    *,
    user_id: int,
    name: str,
    credential_id: str,
    public_key: str,
    sign_count: int,
    transports: list[str],
    aaguid: str,
    multi_device: bool,
    backed_up: bool,
) -> Passkey:
    check_room(session, user_id=user_id)
    if find(session, credential_id=credential_id) is not None:
        raise ValidationFailed("This passkey is registered already.", field="name")
    row = Passkey(
        user_id=user_id,
        name=clean_name(name),
        credential_id=credential_id,
        public_key=public_key,
        sign_count=sign_count,
        transports=json.dumps(transports[:8]),
        aaguid=aaguid[:36],
        multi_device=multi_device,
        backed_up=backed_up,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return row


def transports_of(row: Passkey) -> list[str]:
    found = json.loads(row.transports or "[]")
    return [str(item) for item in found] if isinstance(found, list) else []


def claim_counter(session: Session, *, row: Passkey, new_count: int, backed_up: bool) -> bool:
    """Move the signature counter from what was read to `new_count`; False when
    another sign-in moved it first (then the two answers were one replayed, or
    the authenticator was copied)."""
    moved = session.execute(
        sa.update(table)
        .where(table.c.id == row.id, table.c.sign_count == row.sign_count)
        .values(sign_count=new_count, last_used_at=now(), backed_up=backed_up)
    )
    return getattr(moved, "rowcount", 0) == 1


def remove(session: Session, *, user_id: int, passkey_id: int) -> Passkey:
    row = session.get(Passkey, passkey_id)
    if row is None or row.user_id != user_id:
        raise NotFound("There is no such passkey.")
    session.delete(row)
    session.flush()
    return row


def remove_all(session: Session, *, user_id: int) -> int:
    gone = session.execute(sa.delete(table).where(table.c.user_id == user_id))
    return int(getattr(gone, "rowcount", 0) or 0)
