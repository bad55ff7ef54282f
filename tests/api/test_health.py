"""/healthz (the process is up) and /readyz (the database and Redis answer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import ApiClient
from tests.support.redis import free_port, redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        if url is None:
            pytest.skip("redis-server is not installed (make test installs it)")
        yield url


@pytest.mark.both_databases
def test_healthz_and_readyz_when_all_is_well(api_client: ApiClient) -> None:
    client = api_client()
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured",
    }


def test_readyz_checks_redis(api_client: ApiClient, redis_url: str) -> None:
    assert api_client(REDIS_URL=redis_url).get("/readyz").json()["redis"] == "ok"
    gone = api_client(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").get("/readyz")
    assert gone.status_code == 503
    assert gone.headers["retry-after"] == "5"
    assert gone.json()["code"] == "not_ready"
    assert (gone.json()["database"], gone.json()["redis"]) == ("ok", "down")


def test_readyz_without_a_database_is_503_and_healthz_stays_200(api_client: ApiClient) -> None:
    url = f"postgresql+psycopg://admin:x@127.0.0.1:{free_port()}/admin?connect_timeout=1"
    client = api_client(DATABASE_URL=url)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["database"] == "down"
    assert client.get("/healthz").status_code == 200


def test_both_are_in_the_openapi_schema(api_client: ApiClient) -> None:
    paths = api_client().get("/openapi.json").json()["paths"]
    assert {"/healthz", "/readyz"} <= set(paths)
