"""The long-term lock: an account after 100 consecutive failed sign-ins.

NIST SP 800-63B (5.2.2) asks for a ceiling on consecutive failures that no
waiting resets. Past it, password sign-in stays refused until an admin
unlocks the account here, or the owner proves the mailbox (a code sign-in
or a reset link), which starts the account's budget over (throttle.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.services.access import permissions
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.audit import trail
from admin_app.services.limits.throttle import LOCK_CEILING, account_key, table
from admin_app.services.request_context import RequestContext


def locked_ids(session: Session, user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` are locked: one query for a page of users."""
    keys = {account_key(user_id): user_id for user_id in user_ids}
    if not keys:
        return set()
    rows = session.execute(
        sa.select(table.c.key).where(table.c.key.in_(list(keys)), table.c.streak >= LOCK_CEILING)
    ).scalars()
    return {keys[key] for key in rows}


def is_locked(session: Session, user_id: int) -> bool:
    return bool(locked_ids(session, [user_id]))


def clear(session: Session, *, user_id: int) -> None:
    """The owner proved the mailbox: the account's budget starts over."""
    session.execute(sa.delete(table).where(table.c.key == account_key(user_id)))


def unlock(session: Session, *, actor: Principal, user_id: int, ctx: RequestContext) -> None:
    """An admin reopens an account (needs users:write); audited as `user.unlocked`."""
    actor.require(permissions.USERS_WRITE)
    user = users.get(session, user_id)
    clear(session, user_id=user_id)
    trail.record(session, kind="user.unlocked", ctx=ctx, user_id=user.id, actor_id=actor.user_id)
