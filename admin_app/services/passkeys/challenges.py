"""A ceremony's challenge, server-side: made for one purpose and one attempt,
good for two minutes, and used once (one conditional UPDATE claims it, so a
replayed answer, or two racing with the same one, get one success)."""

from __future__ import annotations

import datetime as dt
import hmac
import json

import sqlalchemy as sa
from sqlmodel import Session
from webauthn.helpers import bytes_to_base64url, generate_challenge

from admin_app.clock import now
from admin_app.errors import PasskeyRequestExpired
from admin_app.models import PasskeyChallenge
from admin_app.security.randomness import new_id

LIFETIME = dt.timedelta(seconds=120)

table = PasskeyChallenge.__table__  # type: ignore[attr-defined]


def issue(
    session: Session,
    *,
    purpose: str,
    user_id: int | None = None,
    bound_to: str = "",
    payload: dict[str, object] | None = None,
) -> PasskeyChallenge:
    """A new challenge for `purpose`, bound to the attempt `bound_to`."""
    moment = now()
    row = PasskeyChallenge(
        id=new_id(),
        purpose=purpose,
        user_id=user_id,
        bound_to=bound_to,
        challenge=bytes_to_base64url(generate_challenge()),
        payload=json.dumps(payload or {}),
        created_at=moment,
        expires_at=moment + LIFETIME,
    )
    session.add(row)
    session.flush()
    return row


def take(
    session: Session,
    *,
    purpose: str,
    challenge: str,
    attempt_id: str | None = None,
    bound_to: str | None = None,
) -> PasskeyChallenge:
    """Claim the challenge an answer signed: the attempt's own, unused and unexpired.

    `attempt_id` names the challenge (a sign-in's), or `bound_to` the attempt
    it was made for (a factor step, a proof holder); the challenge the
    answer carries must be that one.
    """
    query = sa.select(PasskeyChallenge).where(
        PasskeyChallenge.purpose == purpose  # type: ignore[arg-type]
    )
    if attempt_id is not None:
        query = query.where(PasskeyChallenge.id == attempt_id)  # type: ignore[arg-type]
    else:
        query = query.where(
            PasskeyChallenge.bound_to == (bound_to or ""),  # type: ignore[arg-type]
            PasskeyChallenge.challenge == challenge,  # type: ignore[arg-type]
        )
    row = session.execute(query).scalars().first()
    if row is None or not hmac.compare_digest(row.challenge.encode(), challenge.encode()):
        raise PasskeyRequestExpired()
    moment = now()
    won = session.execute(
        sa.update(table)
        .where(table.c.id == row.id, table.c.used_at.is_(None), table.c.expires_at > moment)
        .values(used_at=moment)
    )
    if getattr(won, "rowcount", 0) != 1:
        raise PasskeyRequestExpired()
    return row


def payload_of(row: PasskeyChallenge) -> dict[str, object]:
    found = json.loads(row.payload or "{}")
    return found if isinstance(found, dict) else {}
