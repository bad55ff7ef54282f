"""The permission catalogue: every permission, and which built-in roles hold it.

One catalogue for the built-in permissions and for those an extension adds
(`register`, see docs/extending.md). Admin holds every permission in it; the
User role holds only those registered for it. A permission is a name such as
`reports:read`; services check it with `Principal.require`.
"""

from __future__ import annotations

import dataclasses
import re

from admin_app.models.user import ADMIN_ROLE, USER_ROLE

NAME = re.compile(r"[a-z][a-z0-9_]*:[a-z][a-z0-9_]*")
# No key can hold more; a bound for request validation, whatever is registered.
MAX_PER_KEY = 64


@dataclasses.dataclass(frozen=True)
class Permission:
    name: str
    description: str
    roles: frozenset[str]


_CATALOGUE: dict[str, Permission] = {}


def register(name: str, description: str, *, roles: tuple[str, ...] = ()) -> str:
    """Add `name` to the catalogue (Admin always holds it; `roles` grant it too).

    Returns the name, so a module can keep it as its constant. Registering the
    same permission again is harmless; registering it differently is a mistake.
    """
    if not NAME.fullmatch(name):
        raise ValueError(f"a permission is named like 'area:action', not {name!r}")
    unknown = set(roles) - {ADMIN_ROLE, USER_ROLE}
    if unknown:
        raise ValueError(f"unknown roles for {name}: {', '.join(sorted(unknown))}")
    permission = Permission(name, description, frozenset({ADMIN_ROLE, *roles}))
    known = _CATALOGUE.get(name)
    if known is not None and known != permission:
        raise ValueError(f"the permission {name} is already registered differently")
    if known is None and len(_CATALOGUE) >= MAX_PER_KEY:
        raise ValueError(f"at most {MAX_PER_KEY} permissions can be registered")
    _CATALOGUE[name] = permission
    return name


def catalogue() -> list[Permission]:
    """Every registered permission, in the order registered."""
    return list(_CATALOGUE.values())


def names() -> list[str]:
    return list(_CATALOGUE)


def for_roles(roles: list[str]) -> list[str]:
    """The permissions held by someone with `roles`, sorted."""
    held = set(roles)
    return sorted(p.name for p in _CATALOGUE.values() if p.roles & held)


USERS_READ = register("users:read", "See users and their details")
USERS_WRITE = register("users:write", "Create, change, disable and delete users")
AUDIT_READ = register("audit:read", "Read the audit log")
API_KEYS_WRITE = register("api_keys:write", "Make and revoke API keys", roles=(USER_ROLE,))
