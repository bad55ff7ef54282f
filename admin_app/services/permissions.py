"""The fixed permission catalogue and what each built-in role grants."""

from __future__ import annotations

from admin_app.models.user import ADMIN_ROLE, USER_ROLE

USERS_READ = "users:read"
USERS_WRITE = "users:write"
AUDIT_READ = "audit:read"
API_KEYS_WRITE = "api_keys:write"

CATALOGUE = (USERS_READ, USERS_WRITE, AUDIT_READ, API_KEYS_WRITE)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    ADMIN_ROLE: frozenset(CATALOGUE),
    USER_ROLE: frozenset({API_KEYS_WRITE}),
}


def for_roles(roles: list[str]) -> list[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return sorted(granted)
