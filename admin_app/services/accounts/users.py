"""Users: validation, creation, lookup by email or username, roles, passwords."""

from __future__ import annotations

import dataclasses
import re
import secrets

import email_validator
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.errors import (
    EmailTaken,
    InvalidEmail,
    InvalidUsername,
    NotFound,
    UsernameTaken,
    ValidationFailed,
)
from admin_app.mail import notices
from admin_app.models import ResetLink, Role, User, UserRole
from admin_app.models.user import ADMIN_ROLE, USER_ROLE
from admin_app.security.passwords import check_policy
from admin_app.services.access import api_keys, browser_sessions
from admin_app.services.access.token_families import revoke_for_user as revoke_refresh_tokens
from admin_app.services.accounts.hasher import passwords
from admin_app.services.audit import trail
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

# ASCII only, so that lower() agrees everywhere and no two usernames can look
# alike through Unicode confusables.
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")
USERNAME_RULES = (
    "3-32 letters, digits, dots, dashes or underscores, starting with a letter or digit"
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class NewUser:
    username: str
    full_name: str
    email: str
    password: str | None = None
    is_admin: bool = False


# Internal mail domains are real on the sites that run an admin panel on
# premises: `.local` is the most common Active Directory domain. email-validator
# refuses them as special-use names; its documented switch is this list. What
# is not an address at all (`.invalid`, `localhost`, `.onion`) stays refused.
INTERNAL_DOMAINS = ("local", "test")
for _name in INTERNAL_DOMAINS:
    if _name in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove(_name)


def normalise_email(raw: str) -> str:
    """The normalised form of `raw`, or InvalidEmail with email-validator's reason."""
    try:
        normalised = validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc), field="email") from None
    # Lower-cased whole: addresses match regardless of case, and SQLite's
    # lower() (ASCII only) then agrees with Python's for every stored value.
    return normalised.lower()


def validate_username(raw: str) -> str:
    username = raw.strip()
    if not USERNAME_RE.fullmatch(username):
        raise InvalidUsername(f"Usernames are {USERNAME_RULES}.", field="username")
    return username


def validate_full_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise ValidationFailed("Enter a full name.", field="full_name")
    if len(name) > 200:
        raise ValidationFailed("Use at most 200 characters for the name.", field="full_name")
    return name


def find_by_identifier(session: Session, identifier: str) -> User | None:
    """The user whose email or username (either, case-insensitively) is `identifier`."""
    value = identifier.strip()
    if not value or len(value) > 320:
        return None
    column = User.email if "@" in value else User.username
    return session.exec(select(User).where(func.lower(column) == value.lower())).first()


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def role_names(session: Session, user_id: int) -> list[str]:
    query = select(Role.name).join(UserRole).where(UserRole.user_id == user_id).order_by(Role.name)
    return list(session.exec(query).all())


def grant_role(session: Session, *, user_id: int, role: str) -> bool:
    """Give `role` to the user; False when they already had it."""
    role_id = session.exec(select(Role.id).where(Role.name == role)).one()
    assert role_id is not None
    if session.get(UserRole, (user_id, role_id)) is not None:
        return False
    session.add(UserRole(user_id=user_id, role_id=role_id))
    session.flush()
    return True


def _check_free(session: Session, *, username: str, email: str) -> None:
    if find_by_identifier(session, username) is not None:
        raise UsernameTaken(field="username")
    if find_by_identifier(session, email) is not None:
        raise EmailTaken(field="email")


def validate_new_user(settings: Settings, data: NewUser) -> NewUser:
    """`data` checked and normalised; raises the first problem found."""
    username = validate_username(data.username)
    email = normalise_email(data.email)
    full_name = validate_full_name(data.full_name)
    if data.password is not None:
        check_policy(
            data.password, min_length=settings.password_min_length, username=username, email=email
        )
    return dataclasses.replace(data, username=username, email=email, full_name=full_name)


def create_user(
    session: Session,
    *,
    settings: Settings,
    data: NewUser,
    ctx: RequestContext,
    actor_id: int | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a user (an Admin when `data.is_admin`); nothing is written on error.

    `password_hash` is for a password already checked and hashed (sign-up
    hashes at its first step and creates the account once the code is in).
    """
    data = validate_new_user(settings, data)
    _check_free(session, username=data.username, email=data.email)
    if data.password:
        password_hash = passwords(settings).hash(data.password)
    user = User(
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        password_hash=password_hash,
        # Random, not 0: SQLite may give a deleted user's id to a new one, and
        # tokens name a user by id and stamp; a fresh stamp never matches old ones.
        security_stamp=secrets.randbelow(2**31),
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        # Lost a race with a concurrent create of the same name or address.
        _check_free(session, username=data.username, email=data.email)
        raise
    assert user.id is not None
    grant_role(session, user_id=user.id, role=USER_ROLE)
    if data.is_admin:
        grant_role(session, user_id=user.id, role=ADMIN_ROLE)
    trail.record(
        session,
        kind="user.created",
        ctx=ctx,
        user_id=user.id,
        actor_id=actor_id,
        admin=data.is_admin,
    )
    return user


@dataclasses.dataclass(frozen=True)
class NewPassword:
    """A new password checked against the policy and hashed, before any write."""

    hash: str


def prepare_password(
    settings: Settings, *, password: str, username: str, email: str
) -> NewPassword:
    """Policy, then argon2: run it before the write transaction opens (SQLite has one
    writer, and argon2 takes tens of milliseconds)."""
    check_policy(password, min_length=settings.password_min_length, username=username, email=email)
    return NewPassword(passwords(settings).hash(password))


@dataclasses.dataclass(frozen=True, kw_only=True)
class PasswordSet:
    """What a new password ended, for the faces to tell the user."""

    sessions_revoked: int
    refresh_tokens_revoked: int
    api_keys_revoked: list[int]


# The reason recorded on each key a password event revokes.
KEY_REVOCATION_REASONS = {
    "password.changed": "password_changed",
    "password.reset": "password_reset",
}


def set_password(
    session: Session,
    *,
    settings: Settings,
    user: User,
    password: str | NewPassword,
    ctx: RequestContext,
    actor_id: int | None = None,
    kind: str = "password.changed",
    keep_session_id: str | None = None,
) -> PasswordSet:
    """Set a new password (policy checked) and sign the user out everywhere
    (but `keep_session_id`, the browser that made the change); the user's
    API keys are revoked for good.

    Every way a password is set goes through here: the profile, a reset
    link, an admin's reset (API, CLI) and SUPERADMIN_PASSWORD. A plain
    `password` is checked and hashed here; where the session may already
    hold writes, the caller passes a `prepare_password` result instead.
    """
    if isinstance(password, str):
        password = prepare_password(
            settings, password=password, username=user.username, email=user.email
        )
    user.password_hash = password.hash
    user.updated_at = now()
    user.security_stamp += 1
    session.add(user)
    assert user.id is not None
    sessions_revoked = browser_sessions.revoke_all(
        session, user_id=user.id, except_id=keep_session_id
    )
    tokens_revoked = revoke_refresh_tokens(session, user_id=user.id)
    keys_revoked = api_keys.revoke_all(
        session,
        user_id=user.id,
        reason=KEY_REVOCATION_REASONS.get(kind, "password_changed"),
        ctx=ctx,
        actor_id=actor_id,
    )
    # A password change kills outstanding reset links.
    session.execute(
        sa.update(ResetLink)
        .where(col(ResetLink.user_id) == user.id, col(ResetLink.used_at).is_(None))
        .values(used_at=now())
    )
    trail.record(
        session,
        kind=kind,
        ctx=ctx,
        user_id=user.id,
        actor_id=actor_id,
        refresh_tokens_revoked=tokens_revoked,
        api_keys_revoked=len(keys_revoked),
    )
    # The moved stamp has ended every trusted browser too; the owner is told.
    notices.tell(
        session,
        settings=settings,
        to=user.email,
        event=notices.Event.PASSWORD_CHANGED,
        ctx=ctx,
        user_id=user.id,
    )
    return PasswordSet(
        sessions_revoked=sessions_revoked,
        refresh_tokens_revoked=tokens_revoked,
        api_keys_revoked=keys_revoked,
    )
