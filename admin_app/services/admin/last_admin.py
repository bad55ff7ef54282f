"""The last active Admin stays: demoting, disabling and deleting re-check it
in the write itself (SPEC section 9).

Two admins demoting each other at once must not leave none, on either
database. Each change is one conditional statement whose WHERE re-checks
that another active Admin remains, and the rowcount says whether it held:
- SQLite ignores FOR UPDATE and its reads take no lock, but it has one
  writer at a time and a write statement reads the newest data, so of two
  racing changes the second finds the first's effect and changes nothing.
- PostgreSQL runs writers side by side (each would still see the other's
  Admin), so the active Admins' rows are locked first, in one order: the
  second writer waits for the first, then its statement sees the outcome.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.errors import LastAdmin, NotFound
from admin_app.models import Role, User, UserRole
from admin_app.models.user import ADMIN_ROLE

_users = User.__table__  # type: ignore[attr-defined]
_user_roles = UserRole.__table__  # type: ignore[attr-defined]
_roles = Role.__table__  # type: ignore[attr-defined]
_ADMIN_ROLE_IDS = sa.select(_roles.c.id).where(_roles.c.name == ADMIN_ROLE).scalar_subquery()


def _active_admin(*, same: bool, user_id: int) -> sa.Exists:
    """EXISTS an active Admin who is (`same`) or is not the user."""
    people = _users.alias("admin_users")
    grants = _user_roles.alias("admin_grants")
    return sa.exists().where(
        grants.c.user_id == people.c.id,
        grants.c.role_id == _ADMIN_ROLE_IDS,
        people.c.is_active.is_(True),
        people.c.id == user_id if same else people.c.id != user_id,
    )


def _leaves_an_admin(user_id: int) -> sa.ColumnElement[bool]:
    """True when taking the user out of the active Admins still leaves one."""
    return sa.or_(
        ~_active_admin(same=True, user_id=user_id), _active_admin(same=False, user_id=user_id)
    )


def _lock_admins(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite would drop FOR UPDATE: its single writer does the serialising.
    session.execute(
        sa.select(_users.c.id)
        .join(_user_roles, _user_roles.c.user_id == _users.c.id)
        .where(_user_roles.c.role_id == _ADMIN_ROLE_IDS, _users.c.is_active.is_(True))
        .order_by(_users.c.id)
        .with_for_update(of=[_users, _user_roles])
    ).all()


def _changed(session: Session, statement: sa.Executable) -> bool:
    result = session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


def _is_admin(session: Session, user_id: int) -> bool:
    found = session.execute(
        sa.select(_user_roles.c.user_id).where(
            _user_roles.c.user_id == user_id, _user_roles.c.role_id == _ADMIN_ROLE_IDS
        )
    ).first()
    return found is not None


def demote(session: Session, *, user_id: int) -> bool:
    """Take the Admin role away; False when they no longer held it, LastAdmin
    when they are the last active Admin."""
    _lock_admins(session)
    if _changed(
        session,
        sa.delete(_user_roles).where(
            _user_roles.c.user_id == user_id,
            _user_roles.c.role_id == _ADMIN_ROLE_IDS,
            _leaves_an_admin(user_id),
        ),
    ):
        return True
    if not _is_admin(session, user_id):
        return False  # someone else demoted them first
    raise LastAdmin()


def disable(session: Session, *, user_id: int) -> bool:
    """Mark the user inactive; False when they already were, LastAdmin when
    they are the last active Admin."""
    _lock_admins(session)
    if _changed(
        session,
        sa.update(_users)
        .where(_users.c.id == user_id, _users.c.is_active.is_(True), _leaves_an_admin(user_id))
        .values(is_active=False),
    ):
        return True
    active = session.execute(sa.select(_users.c.is_active).where(_users.c.id == user_id)).scalar()
    if not active:
        return False
    raise LastAdmin()


def delete(session: Session, *, user_id: int) -> None:
    """Delete the user; NotFound when gone, LastAdmin when the last active Admin."""
    _lock_admins(session)
    if _changed(
        session, sa.delete(_users).where(_users.c.id == user_id, _leaves_an_admin(user_id))
    ):
        return
    if session.execute(sa.select(_users.c.id).where(_users.c.id == user_id)).first() is None:
        raise NotFound("No such user.")
    raise LastAdmin()
