"""API paths no route takes answer JSON; OPTIONS says which methods a path takes."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient


@pytest.mark.parametrize("path", ["/api/nope", "/api/users/1/nope", "/auth/nope", "/auth/"])
def test_an_unknown_api_path_is_a_json_404(api_client: ApiClient, path: str) -> None:
    for method in ["GET", "POST", "DELETE", "OPTIONS"]:
        answer = api_client().request(method, path)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["code"] == "not_found"


def test_a_known_path_with_another_method_is_a_json_405_with_its_allow(
    api_client: ApiClient,
) -> None:
    answer = api_client().put("/auth/login", json={})
    assert answer.status_code == 405
    assert answer.json()["code"] == "method_not_allowed"
    assert answer.headers["allow"] == "OPTIONS, POST"


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/users", "GET, OPTIONS, POST"),
        ("/api/users/7", "DELETE, GET, OPTIONS, PATCH"),
        ("/auth/me", "GET, OPTIONS"),
        ("/info", "GET, OPTIONS"),
        ("/readyz", "GET, OPTIONS"),
    ],
)
def test_options_lists_what_the_path_takes(api_client: ApiClient, path: str, allow: str) -> None:
    answer = api_client().options(path)
    assert answer.status_code == 204
    assert answer.headers["allow"] == allow
