"""The rows of the /users table: one page of users, typed for the page."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlmodel import Session

from admin_app.services.admin import directory
from admin_app.services.limits import lockout


@dataclasses.dataclass(frozen=True)
class UserListRow:
    """One line of the users table."""

    id: int
    username: str
    full_name: str
    email: str
    is_active: bool
    is_admin: bool
    mfa_enabled: bool
    locked: bool
    created: str
    # Second factors: confirmed authenticator apps, passkeys, unused recovery codes.
    authenticator_apps: int
    passkeys: int
    recovery_codes_left: int


def listing(db: Session, **kwargs: Any) -> tuple[list[UserListRow], int]:
    """A page of users, and which of them are locked (one query for the page)."""
    found = directory.search(db, **kwargs)
    locked = lockout.locked_ids(db, [r.id for r in found.items])
    rows = [
        UserListRow(
            id=r.id,
            username=r.username,
            full_name=r.full_name,
            email=r.email,
            is_active=r.is_active,
            is_admin=r.is_admin,
            mfa_enabled=r.mfa_enabled,
            locked=r.id in locked,
            created=r.created_at.strftime("%Y-%m-%d"),
            authenticator_apps=r.authenticator_apps,
            passkeys=r.passkeys,
            recovery_codes_left=r.recovery_codes_left,
        )
        for r in found.items
    ]
    return rows, found.total
