"""`next` after sign-in: same-site paths only."""

from __future__ import annotations

import pytest

from admin_app.security.redirects import DEFAULT, safe_next


@pytest.mark.parametrize(
    "value",
    ["/", "/users", "/users?x=1", "/users?page=2&search=ada#top", "/a/b/c", "/users/%2F%2Fx"],
)
def test_same_site_paths_are_kept(value: str) -> None:
    assert safe_next(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "//evil.com",
        "//evil.com/users",
        "/\\evil.com",
        "/\\/evil.com",
        "\\\\evil.com",
        "https://evil.com",
        "http://evil.com/users",
        "HTTPS://evil.com",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.com",
        "users",
        "",
        None,
        "/users\nLocation: https://evil.com",
        "/users\r\n",
        "/\t/evil.com",
        "/\x00",
        "/" + "a" * 2048,
    ],
)
def test_anything_else_gives_the_default(value: str | None) -> None:
    assert safe_next(value) == DEFAULT == "/"


def test_the_default_can_be_chosen() -> None:
    assert safe_next("//evil.com", default="/dashboard") == "/dashboard"
    assert safe_next("/users", default="/dashboard") == "/users"
