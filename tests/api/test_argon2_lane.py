"""The API's argon2-bearing routes wait for the argon2 lane, on the loop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import argon2
import pytest
from fastapi.testclient import TestClient

from admin_app.models import User
from admin_app.services.accounts import hashing_pool
from tests.conftest import PASSWORD

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]


def test_login_runs_in_the_lane_and_argon2_on_the_argon2_threads(
    api_client: ApiClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    admitted: list[str] = []
    hashed_on: list[str] = []
    original_admitted, original_verify = hashing_pool.admitted, argon2.PasswordHasher.verify

    async def recording(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        def in_lane() -> Any:
            admitted.append(threading.current_thread().name)
            return fn(*args, **kwargs)

        return await original_admitted(in_lane)

    def verify(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        hashed_on.append(threading.current_thread().name)
        return original_verify(self, hash, password)

    monkeypatch.setattr(hashing_pool, "admitted", recording)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", verify)

    answer = client.post("/auth/login", json={"username": "ada", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    assert len(admitted) == 1 and admitted[0].startswith(hashing_pool.LANE_PREFIX + "_")
    assert len(hashed_on) == 1 and hashed_on[0].startswith(hashing_pool.THREAD_PREFIX + "_")
