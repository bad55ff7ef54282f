"""Headers of the real server, where Reflex's layers and the API's meet."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.e2e.conftest import AppServer


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer]) -> AppServer:
    return start_server(AUTH_MODE="password")


@pytest.mark.parametrize("path", ["/_event/?EIO=4&transport=polling", "/info", "/ping"])
def test_cors_headers_come_once(server: AppServer, path: str) -> None:
    answer = httpx.get(f"{server.url}{path}", headers={"Origin": server.url}, timeout=10)
    # Browsers reject a doubled Access-Control-Allow-Origin.
    assert answer.headers.get_list("access-control-allow-origin") == [server.url]
    assert len(answer.headers.get_list("access-control-allow-credentials")) == 1
    vary = [t.strip() for v in answer.headers.get_list("vary") for t in v.split(",")]
    assert vary.count("Origin") == 1


def test_api_paths_answer_json_even_where_no_route_is(server: AppServer) -> None:
    for method, path in [("GET", "/api/nope"), ("OPTIONS", "/auth/nope"), ("DELETE", "/api/")]:
        answer = httpx.request(method, f"{server.url}{path}", timeout=10)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["code"] == "not_found"
    options = httpx.options(f"{server.url}/api/users", timeout=10)
    assert (options.status_code, options.headers["allow"]) == (204, "GET, OPTIONS, POST")
