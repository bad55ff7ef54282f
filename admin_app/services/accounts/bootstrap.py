"""Start-up duties: the superadmin from SUPERADMIN_EMAIL / SUPERADMIN_PASSWORD."""

from __future__ import annotations

import re

from sqlmodel import Session

from admin_app.errors import DomainError
from admin_app.models.user import ADMIN_ROLE
from admin_app.security.passwords import check_policy
from admin_app.services.access import api_keys
from admin_app.services.accounts import users
from admin_app.services.accounts.hasher import passwords
from admin_app.services.audit import trail
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings, SettingsError

CTX = RequestContext(ip="startup", user_agent="admin_app start-up")


def _free_username(session: Session, email: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "", email.split("@")[0])[:24] or "admin"
    base = base if len(base) >= 3 and base[0].isalnum() else f"admin{base}"[:24]
    candidate, n = base, 1
    while users.find_by_identifier(session, candidate) is not None:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def ensure_superadmin(session: Session, *, settings: Settings) -> None:
    """Make sure SUPERADMIN_EMAIL exists, is active and is an Admin; idempotent.

    In password modes SUPERADMIN_PASSWORD (re)sets the password: the escape
    hatch for a lost admin password. It is only written when it differs from
    the stored one, so a restart does not sign the admin out.
    """
    if settings.superadmin_email is None:
        return
    try:
        email = users.normalise_email(settings.superadmin_email)
    except DomainError as exc:
        raise SettingsError(f"SUPERADMIN_EMAIL is not a valid address: {exc.message}") from None
    password = settings.superadmin_password if settings.uses_passwords else None
    user = users.find_by_identifier(session, email)
    if password is not None:
        try:
            check_policy(
                password,
                min_length=settings.password_min_length,
                username=user.username if user else "",
                email=email,
            )
        except DomainError as exc:
            raise SettingsError(f"SUPERADMIN_PASSWORD is refused: {exc.message}") from None
    if user is None:
        user = users.create_user(
            session,
            settings=settings,
            data=users.NewUser(
                username=_free_username(session, email),
                full_name="Administrator",
                email=email,
                password=password,
                is_admin=True,
            ),
            ctx=CTX,
        )
        return
    assert user.id is not None
    if not user.is_active:
        # The escape hatch must open even when the account was disabled.
        user.is_active = True
        session.add(user)
        # As when an admin enables a user: keys of a disabled account stay dead.
        api_keys.revoke_all(session, user_id=user.id, reason="user_disabled", ctx=CTX)
        trail.record(session, kind="user.enabled", ctx=CTX, user_id=user.id)
    if users.grant_role(session, user_id=user.id, role=ADMIN_ROLE):
        trail.record(session, kind="role.granted", ctx=CTX, user_id=user.id, role=ADMIN_ROLE)
    if password is not None and not passwords(settings).verify(user.password_hash, password):
        users.set_password(
            session, settings=settings, user=user, password=password, ctx=CTX, kind="password.reset"
        )
