"""User management for admins (SPEC section 9): list, change, disable, delete.

Every function takes the acting principal and checks its permission here,
so pages, API and any future face are held to the same rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import EmailTaken, UsernameTaken, ValidationFailed
from admin_app.mail import outbox
from admin_app.mail.senders import Sender
from admin_app.models import Role, User, UserRole
from admin_app.models.user import ADMIN_ROLE
from admin_app.services.access import api_keys, browser_sessions, permissions, token_families
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import reset_links, users
from admin_app.services.admin import last_admin
from admin_app.services.audit import trail
from admin_app.services.paging import Page, bounds
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

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


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserChanges:
    username: str | None = None
    full_name: str | None = None
    email: str | None = None
    is_active: bool | None = None
    is_admin: bool | None = None
    # An admin's reset: every session, token and key of the user ends.
    password: str | None = None


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


def _end_everything(
    session: Session, user: User, *, ctx: RequestContext, actor_id: int
) -> list[int]:
    """Sessions, refresh tokens and (through the stamp) access tokens all end;
    API keys are revoked for good. The ids of the keys revoked."""
    assert user.id is not None
    user.security_stamp += 1
    browser_sessions.revoke_all(session, user_id=user.id)
    token_families.revoke_for_user(session, user_id=user.id)
    return api_keys.revoke_all(
        session, user_id=user.id, reason="user_disabled", ctx=ctx, actor_id=actor_id
    )


def update(
    session: Session,
    *,
    actor: Principal,
    user_id: int,
    changes: UserChanges,
    ctx: RequestContext,
    settings: Settings | None = None,
) -> UserRow:
    """Apply an admin's changes; `settings` is needed only to set a password."""
    actor.require(permissions.USERS_WRITE)
    user = users.get(session, user_id)
    new_password = None
    if changes.password is not None:
        assert settings is not None, "setting a password needs the settings"
        # Checked and hashed before the first write (the policy sees the new names).
        new_password = users.prepare_password(
            settings,
            password=changes.password,
            username=changes.username or user.username,
            email=changes.email or user.email,
        )
    if changes.username is not None and changes.username != user.username:
        username = users.validate_username(changes.username)
        other = users.find_by_identifier(session, username)
        if other is not None and other.id != user.id:
            raise UsernameTaken(field="username")
        user.username = username
    if changes.email is not None:
        email = users.normalise_email(changes.email)
        other = users.find_by_identifier(session, email)
        if other is not None and other.id != user.id:
            raise EmailTaken(field="email")
        user.email = email
    if changes.full_name is not None:
        user.full_name = users.validate_full_name(changes.full_name)
    if (
        changes.is_active is False
        and user.is_active
        and last_admin.disable(session, user_id=user_id)
    ):
        user.is_active = False
        keys_revoked = _end_everything(session, user, ctx=ctx, actor_id=actor.user_id)
        trail.record(
            session,
            kind="user.disabled",
            ctx=ctx,
            user_id=user.id,
            actor_id=actor.user_id,
            api_keys_revoked=len(keys_revoked),
        )
    elif changes.is_active is True and not user.is_active:
        assert user.id is not None
        user.is_active = True
        # Keys left live on a disabled account predate the rule that revokes
        # them at disabling: enabling must not bring them back either.
        api_keys.revoke_all(
            session, user_id=user.id, reason="user_disabled", ctx=ctx, actor_id=actor.user_id
        )
        trail.record(session, kind="user.enabled", ctx=ctx, user_id=user.id, actor_id=actor.user_id)
    if changes.is_admin is not None:
        assert user.id is not None
        is_admin = ADMIN_ROLE in users.role_names(session, user.id)
        if changes.is_admin and not is_admin:
            users.grant_role(session, user_id=user.id, role=ADMIN_ROLE)
            trail.record(
                session,
                kind="role.granted",
                ctx=ctx,
                user_id=user.id,
                actor_id=actor.user_id,
                role=ADMIN_ROLE,
            )
        elif not changes.is_admin and is_admin and last_admin.demote(session, user_id=user.id):
            trail.record(
                session,
                kind="role.revoked",
                ctx=ctx,
                user_id=user.id,
                actor_id=actor.user_id,
                role=ADMIN_ROLE,
            )
    user.updated_at = now()
    session.add(user)
    session.flush()
    trail.record(session, kind="user.updated", ctx=ctx, user_id=user.id, actor_id=actor.user_id)
    assert user.id is not None
    if new_password is not None:
        assert settings is not None
        users.set_password(
            session,
            settings=settings,
            user=user,
            password=new_password,
            ctx=ctx,
            actor_id=actor.user_id,
            kind="password.reset",
        )
    return get_row(session, actor=actor, user_id=user.id)


def create(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    data: users.NewUser,
    ctx: RequestContext,
    sender: Sender | None = None,
    active: bool = True,
) -> UserRow:
    """Create a user; in the modes with mail they get a welcome mail saying how to sign in.

    `active=False` makes the account disabled from the start (audited as such)."""
    actor.require(permissions.USERS_WRITE)
    if not settings.uses_passwords:
        data = dataclasses.replace(data, password=None)
    user = users.create_user(session, settings=settings, data=data, ctx=ctx, actor_id=actor.user_id)
    if settings.code_at_every_signin:
        outbox.send_welcome(settings, to=user.email, username=user.username, sender=sender)
    assert user.id is not None
    if not active:
        return update(
            session, actor=actor, user_id=user.id, changes=UserChanges(is_active=False), ctx=ctx
        )
    return get_row(session, actor=actor, user_id=user.id)


def reset_link(
    session: Session, *, actor: Principal, settings: Settings, user_id: int, ctx: RequestContext
) -> reset_links.IssuedLink:
    """A one-time password-reset link for an admin to hand over (valid 24 h)."""
    actor.require(permissions.USERS_WRITE)
    return reset_links.issue(
        session,
        settings=settings,
        user=users.get(session, user_id),
        ctx=ctx,
        actor_id=actor.user_id,
    )


def delete(session: Session, *, actor: Principal, user_id: int, ctx: RequestContext) -> None:
    actor.require(permissions.USERS_WRITE)
    user = users.get(session, user_id)
    username = user.username
    session.expunge(user)  # deleted below by a statement, not by the ORM
    last_admin.delete(session, user_id=user_id)
    trail.record(
        session,
        kind="user.deleted",
        ctx=ctx,
        user_id=None,
        actor_id=actor.user_id,
        deleted_user_id=user_id,
        username=username,
    )
