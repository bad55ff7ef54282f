"""MFA_REQUIRED: whom the policy covers, and who must add a strong factor now.

`none` covers nobody, `admins` the Admins, `all` everyone. A covered user
without an authenticator app or a passkey is sent to add one at their next sign-in,
before any page (ui guard), and gets no API tokens until then.
"""

from __future__ import annotations

from sqlmodel import Session

from admin_app.models import User
from admin_app.models.user import ADMIN_ROLE
from admin_app.services.accounts.users import role_names
from admin_app.services.factors import totp
from admin_app.services.passkeys import credentials
from admin_app.settings import Settings


def enrolment_due(session: Session, *, settings: Settings, user: User) -> bool:
    """Whether `user` must add an authenticator app before going anywhere."""
    assert user.id is not None
    if settings.factors.mfa_required == "none":
        return False
    is_admin = ADMIN_ROLE in role_names(session, user.id)
    covered = settings.factors.mfa_covers(is_admin=is_admin)
    return covered and not has_strong(session, user_id=user.id)


def has_strong(session: Session, *, user_id: int) -> bool:
    """Whether `user_id` holds a strong second factor: an authenticator app or a passkey."""
    return bool(totp.list_apps(session, user_id=user_id)) or credentials.has_any(
        session, user_id=user_id
    )
