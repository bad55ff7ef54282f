"""The API authenticates callers through the service functions the service
tests exercise (`principals.for_access_token`, `api_keys.for_key`), with one
query for an access token and no hop to a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.errors import NotAuthenticated
from admin_app.models import User
from admin_app.services.access import api_keys, principals, reads
from admin_app.settings import get_settings
from tests.api import keys_conftest_helpers as h

# On SQLite and PostgreSQL (see tests/conftest.py): credential reads go through the async psycopg
# pool on PostgreSQL and inline on SQLite (admin_app/hot_reads.py fetch_all).
pytestmark = pytest.mark.both_databases

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]


def _spy(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[Any]:
    calls: list[Any] = []
    real = getattr(owner, name)

    async def spy(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return await real(**kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


def test_tokens_and_keys_go_through_the_service_functions(
    api_client: ApiClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api_client()
    make_user(username="ada")
    pair = h.login(client, "ada")
    created = client.post(
        "/api/keys",
        json={"name": "ci", "permissions": ["api_keys:write"]},
        headers=h.bearer(pair["access_token"]),
    ).json()
    by_token = _spy(monkeypatch, principals, "for_access_token")
    by_key = _spy(monkeypatch, api_keys, "for_key")
    reads_made: list[Any] = []
    real_fetch = reads.fetch_all

    async def counted(statement: Any, params: dict[str, Any]) -> Any:
        reads_made.append(statement)
        return await real_fetch(statement, params)

    hops: list[Any] = []
    real_to_thread = asyncio.to_thread

    async def hop(*args: Any, **kwargs: Any) -> Any:
        hops.append(args)
        return await real_to_thread(*args, **kwargs)

    monkeypatch.setattr(reads, "fetch_all", counted)
    monkeypatch.setattr(reads.asyncio, "to_thread", hop)

    assert client.get("/auth/me", headers=h.bearer(pair["access_token"])).status_code == 200
    assert [c["token"] for c in by_token] == [pair["access_token"]]
    assert reads_made == [principals.PRINCIPAL_QUERY]  # one query, family check included
    assert hops == []

    reads_made.clear()
    for headers in (h.api_key(created["key"]), h.bearer(created["key"])):
        assert client.get("/auth/me", headers=headers).status_code == 200
    assert [c["key"] for c in by_key] == [created["key"]] * 2
    assert len(reads_made) == 2  # one query a request: the key and its owner together
    assert len(by_token) == 1
    assert len(hops) == 1  # the first use of the key records it, in a thread


def test_the_session_form_agrees_with_the_api(
    api_client: ApiClient, engine: Engine, make_user: MakeUser
) -> None:
    client = api_client()
    make_user(username="ada")
    pair = h.login(client, "ada")
    settings = get_settings()
    with Session(engine) as db:
        same = principals.authenticate_access(db, settings=settings, token=pair["access_token"])
    assert (
        same.username
        == client.get("/auth/me", headers=h.bearer(pair["access_token"])).json()["username"]
    )
    client.post("/auth/logout", json={"refresh_token": pair["refresh_token"]})
    with Session(engine) as db, pytest.raises(NotAuthenticated):
        principals.authenticate_access(db, settings=settings, token=pair["access_token"])
