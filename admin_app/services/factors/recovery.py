"""Recovery codes: ten single-use codes for when the authenticator app is gone.

Each is 12 characters of a 30-letter alphabet (58 bits), shown once, and kept
as an HMAC under its own random salt (ASVS 2.6.2: a lookup secret below 112
bits is salted and hashed). Using one is a conditional UPDATE on its row, so
a code works once even when two requests race with it. Regenerating deletes
every old code with the same write that adds the new ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.models import RecoveryCode
from admin_app.security.keys import derive
from admin_app.settings import Settings

COUNT = 10
GROUPS = 3
GROUP_LENGTH = 4
# No 0/O, 1/I/L, u or l: a code read off paper is typed right. 30 letters, 4.9 bits each.
ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"

table = RecoveryCode.__table__  # type: ignore[attr-defined]


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))


def normalise(code: str) -> str:
    """What the user typed, as stored: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hmac(settings: Settings, salt: str, code: str) -> str:
    key = derive(settings.jwt_secret, "recovery-hmac")
    return hmac.new(key, f"{salt}|{normalise(code)}".encode(), hashlib.sha256).hexdigest()


def generate(session: Session, *, settings: Settings, user_id: int) -> list[str]:
    """Ten new codes for `user_id`, the old ones gone; the codes are returned once."""
    session.execute(sa.delete(table).where(table.c.user_id == user_id))
    codes = [_new_code() for _ in range(COUNT)]
    moment = now()
    rows = []
    for code in codes:
        salt = secrets.token_hex(8)
        rows.append(
            {
                "user_id": user_id,
                "salt": salt,
                "code_hmac": _hmac(settings, salt, code),
                "created_at": moment,
                "used_at": None,
            }
        )
    session.execute(sa.insert(table), rows)
    return codes


def left(session: Session, *, user_id: int) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(table)
            .where(table.c.user_id == user_id, table.c.used_at.is_(None))
        ).scalar_one()
    )


def use(session: Session, *, settings: Settings, user_id: int, code: str) -> bool:
    """Spend `code` if it is one of the user's unused codes; whether it was."""
    typed = normalise(code)
    if len(typed) != GROUPS * GROUP_LENGTH:
        return False
    found = None
    # Every unused code is compared (constant time each), whichever matches.
    for row in session.exec(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user_id, col(RecoveryCode.used_at).is_(None)
        )
    ).all():
        if hmac.compare_digest(_hmac(settings, row.salt, typed), row.code_hmac):
            found = row.id
    if found is None:
        return False
    won = session.execute(
        sa.update(table).where(table.c.id == found, table.c.used_at.is_(None)).values(used_at=now())
    )
    return getattr(won, "rowcount", 0) == 1


def remove_all(session: Session, *, user_id: int) -> None:
    session.execute(sa.delete(table).where(table.c.user_id == user_id))
