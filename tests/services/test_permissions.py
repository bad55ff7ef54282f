"""The permission catalogue: built-in permissions, and those an extension registers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from admin_app.models.user import ADMIN_ROLE, USER_ROLE
from admin_app.services.access import permissions


@pytest.fixture
def catalogue() -> Iterator[None]:
    """Whatever a test registers is gone after it."""
    saved = dict(permissions._CATALOGUE)
    yield
    permissions._CATALOGUE.clear()
    permissions._CATALOGUE.update(saved)


def test_the_built_in_roles() -> None:
    assert permissions.for_roles([USER_ROLE]) == ["api_keys:write"]
    assert permissions.for_roles([USER_ROLE, ADMIN_ROLE]) == [
        "api_keys:write",
        "audit:read",
        "users:read",
        "users:write",
    ]
    assert permissions.for_roles([]) == []


def test_admin_holds_a_registered_permission_and_users_only_when_granted(catalogue: None) -> None:
    assert permissions.register("reports:read", "Read reports") == "reports:read"
    permissions.register("reports:export", "Export reports", roles=(USER_ROLE,))
    assert "reports:read" in permissions.for_roles([ADMIN_ROLE])
    assert "reports:read" not in permissions.for_roles([USER_ROLE])
    assert "reports:export" in permissions.for_roles([USER_ROLE])
    assert permissions.names()[-2:] == ["reports:read", "reports:export"]


def test_registering_again_is_harmless_but_differently_is_refused(catalogue: None) -> None:
    permissions.register("reports:read", "Read reports")
    permissions.register("reports:read", "Read reports")
    with pytest.raises(ValueError, match="already registered differently"):
        permissions.register("reports:read", "Read reports", roles=(USER_ROLE,))


@pytest.mark.parametrize("name", ["reports", "Reports:read", "reports:", ":read", "a b:c"])
def test_a_name_is_area_colon_action(catalogue: None, name: str) -> None:
    with pytest.raises(ValueError, match="area:action"):
        permissions.register(name, "x")


def test_an_unknown_role_is_refused(catalogue: None) -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        permissions.register("reports:read", "x", roles=("Auditor",))
