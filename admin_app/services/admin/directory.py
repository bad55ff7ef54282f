"""The user directory for admins (SPEC section 9): search, sort and page through users.

Every function takes the acting principal and checks `users:read` here, so
pages, API and any future face are held to the same rule; changes are in
`manage`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.errors import ValidationFailed
from admin_app.models import Passkey, RecoveryCode, Role, TotpFactor, User, UserRole
from admin_app.models.user import ADMIN_ROLE
from admin_app.services.access import permissions
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.paging import Page, bounds

SortKey = Literal["username", "email", "full_name", "created_at"]
SORTABLE = ("username", "email", "full_name", "created_at")

_users = User.__table__  # type: ignore[attr-defined]
_user_roles = UserRole.__table__  # type: ignore[attr-defined]
_roles = Role.__table__  # type: ignore[attr-defined]
_IS_ADMIN = (
    sa.select(_user_roles.c.user_id)
    .join(_roles, _roles.c.id == _user_roles.c.role_id)
    .where(_roles.c.name == ADMIN_ROLE, _user_roles.c.user_id == _users.c.id)
    .exists()
)


_totp = TotpFactor.__table__  # type: ignore[attr-defined]
_recovery = RecoveryCode.__table__  # type: ignore[attr-defined]
# Which second factors a user has, for an admin to see (and reset).
_APPS = (
    sa.select(sa.func.count())
    .where(_totp.c.user_id == _users.c.id, _totp.c.confirmed_at.is_not(None))
    .scalar_subquery()
)
_passkeys = Passkey.__table__  # type: ignore[attr-defined]
_PASSKEYS = sa.select(sa.func.count()).where(_passkeys.c.user_id == _users.c.id).scalar_subquery()
_RECOVERY_LEFT = (
    sa.select(sa.func.count())
    .where(_recovery.c.user_id == _users.c.id, _recovery.c.used_at.is_(None))
    .scalar_subquery()
)

# The columns of a UserRow, for the list and for one user.
_ROW_COLUMNS = sa.select(
    _users.c.id,
    _users.c.username,
    _users.c.full_name,
    _users.c.email,
    _users.c.is_active,
    _IS_ADMIN.label("is_admin"),
    _users.c.mfa_enabled,
    _users.c.created_at,
    _APPS.label("authenticator_apps"),
    _PASSKEYS.label("passkeys"),
    _RECOVERY_LEFT.label("recovery_codes_left"),
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRow:
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


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_SEARCH_TEXT = sa.func.lower(_users.c.username + " " + _users.c.email + " " + _users.c.full_name)
_FTS = sa.table("users_search", sa.column("rowid"), sa.column("text"))
TRIGRAM = 3


def _matches(session: Session, text: str) -> sa.ColumnElement[bool]:
    """Substring match on username, email or name, through a trigram index.

    The migrations build one (pg_trgm on PostgreSQL, an FTS5 trigram table on
    SQLite), so a search stays an index lookup at 100,000 users. A query
    shorter than a trigram falls back to a scan.
    """
    pattern = f"%{_escape_like(text)}%"
    if len(text) < TRIGRAM:
        return sa.or_(
            sa.func.lower(_users.c.username).like(pattern, escape="\\"),
            sa.func.lower(_users.c.email).like(pattern, escape="\\"),
            sa.func.lower(_users.c.full_name).like(pattern, escape="\\"),
        )
    if session.get_bind().dialect.name == "postgresql":
        # Backslash is PostgreSQL's default LIKE escape; an explicit ESCAPE
        # clause would hide the pattern from the trigram index.
        return _SEARCH_TEXT.like(pattern)
    # FTS5 trigram: a quoted phrase is a substring match, through the index
    # (LIKE ... ESCAPE would scan), and % or _ in it are plain characters.
    phrase = '"' + text.replace('"', '""') + '"'
    return _users.c.id.in_(
        sa.select(_FTS.c.rowid).where(
            sa.text("users_search MATCH :phrase").bindparams(phrase=phrase)
        )
    )


def search(
    session: Session,
    *,
    actor: Principal,
    query: str = "",
    admin: bool | None = None,
    active: bool | None = None,
    mfa: bool | None = None,
    sort: str = "username",
    descending: bool = False,
    page: int = 1,
    page_size: int = 25,
) -> Page[UserRow]:
    """Users matching `query` (username, email or name) and the filters."""
    actor.require(permissions.USERS_READ)
    limit, offset = bounds(page, page_size)
    if sort not in SORTABLE:
        raise ValidationFailed(f"sort is one of: {', '.join(SORTABLE)}.", field="sort")
    conditions = []
    if text := query.strip().lower()[:100]:
        conditions.append(_matches(session, text))
    if admin is not None:
        conditions.append(_IS_ADMIN if admin else ~_IS_ADMIN)
    if active is not None:
        conditions.append(_users.c.is_active.is_(active))
    if mfa is not None:
        conditions.append(_users.c.mfa_enabled.is_(mfa))
    where = sa.and_(sa.true(), *conditions)
    total = session.execute(sa.select(sa.func.count()).select_from(_users).where(where)).scalar()
    # Text columns sort by lower(...), which their indexes cover.
    key = _users.c[sort] if sort == "created_at" else sa.func.lower(_users.c[sort])
    order = key.desc() if descending else key.asc()
    # username and email are unique; the other sorts have (key, id) indexes.
    ordering = [order] if sort in ("username", "email") else [order, _users.c.id]
    # Deferred join: page through ids alone (an index-only walk, even deep
    # into 100,000 rows), then fetch the page's rows.
    page_ids = (
        sa.select(_users.c.id.label("page_id"))
        .where(where)
        .order_by(*ordering)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    rows = session.execute(
        _ROW_COLUMNS.select_from(_users.join(page_ids, _users.c.id == page_ids.c.page_id)).order_by(
            *ordering
        )
    ).all()
    return Page(
        items=[UserRow(**row._mapping) for row in rows],
        total=int(total or 0),
        page=page,
        page_size=page_size,
    )


def get_row(session: Session, *, actor: Principal, user_id: int) -> UserRow:
    actor.require(permissions.USERS_READ)
    users.get(session, user_id)
    row = session.execute(_ROW_COLUMNS.where(_users.c.id == user_id)).one()
    return UserRow(**row._mapping)
