"""An admin's changes to users (SPEC section 9): create, change, disable, delete, reset links.

Each checks `users:write` itself; the last active Admin always stays
(`last_admin`).
"""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import EmailTaken, UsernameTaken
from admin_app.mail import notices, outbox
from admin_app.mail.senders import Sender
from admin_app.models import User
from admin_app.models.user import ADMIN_ROLE
from admin_app.services.access import (
    api_keys,
    browser_sessions,
    fresh_proofs,
    permissions,
    token_families,
)
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import reset_links, users
from admin_app.services.admin import last_admin
from admin_app.services.admin.directory import UserRow, get_row
from admin_app.services.audit import trail
from admin_app.services.factors import account as factor_account
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserChanges:
    username: str | None = None
    full_name: str | None = None
    email: str | None = None
    is_active: bool | None = None
    is_admin: bool | None = None
    # An admin's reset: every session, token and key of the user ends.
    password: str | None = None


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
    settings: Settings,
) -> UserRow:
    """Apply an admin's changes (a new email address is mailed to both addresses)."""
    actor.require(permissions.USERS_WRITE)
    user = users.get(session, user_id)
    new_password = None
    if changes.password is not None:
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
        if email != user.email:
            # Both addresses hear of it: the old one may be the owner's only way to know.
            for address in (user.email, email):
                notices.tell(
                    session,
                    settings=settings,
                    to=address,
                    event=notices.Event.EMAIL_CHANGED,
                    ctx=ctx,
                    user_id=user.id,
                    old_email=user.email,
                    new_email=email,
                )
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
            fresh_proofs.require(session, actor=actor)
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
            session,
            actor=actor,
            user_id=user.id,
            changes=UserChanges(is_active=False),
            ctx=ctx,
            settings=settings,
        )
    return get_row(session, actor=actor, user_id=user.id)


def reset_link(
    session: Session, *, actor: Principal, settings: Settings, user_id: int, ctx: RequestContext
) -> reset_links.IssuedLink:
    """A one-time password-reset link for an admin to hand over (valid 24 h).

    A sensitive change: it needs a fresh proof of who is asking.
    """
    actor.require(permissions.USERS_WRITE)
    fresh_proofs.require(session, actor=actor)
    return reset_links.issue(
        session,
        settings=settings,
        user=users.get(session, user_id),
        ctx=ctx,
        actor_id=actor.user_id,
    )


def reset_factors(
    session: Session, *, actor: Principal, settings: Settings, user_id: int, ctx: RequestContext
) -> UserRow:
    """Remove every second factor of a user who lost them (audited, and mailed to them).

    The user signs in with what is left (the password, the email code); the
    MFA policy then has them add an app again. A sensitive change: it needs
    a fresh proof of who is asking.
    """
    actor.require(permissions.USERS_WRITE)
    fresh_proofs.require(session, actor=actor)
    user = users.get(session, user_id)
    factor_account.reset_all(session, settings=settings, user=user, ctx=ctx, actor_id=actor.user_id)
    return get_row(session, actor=actor, user_id=user_id)


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
