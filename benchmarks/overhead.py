"""Where a request's time goes: the served app's stack, called in-process.

No server and no sockets: each figure calls an ASGI app directly, so it is
the Python cost of the layers alone (granian's own share is the same for
every app and is left out). For each stack, the CPU time per request (this
thread's, best of 7 rounds) and the Python function calls per request
(cProfile: exact, whatever the machine is doing), then the profile of
`GET /auth/me` by own time, the view that found what this file's README
section lists.

    .venv/bin/python benchmarks/overhead.py
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
PASSWORD = "correct horse battery staple"
ROUNDS, PER_ROUND = 7, 2000

Headers = list[tuple[bytes, bytes]]


def scope(path: str, headers: Headers) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 3000),
        "state": {},
    }


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def calls(app: Any, path: str, headers: Headers, n: int) -> None:
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for _ in range(n):
        await app(scope(path, headers), receive, send)
    if set(statuses) != {200}:
        raise SystemExit(f"{path} answered {sorted(set(statuses))}")


async def cost(app: Any, path: str, headers: Headers) -> tuple[float, float]:
    """(microseconds of CPU per request, Python function calls per request)."""
    await calls(app, path, headers, 300)  # warm up
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.thread_time()
        await calls(app, path, headers, PER_ROUND)
        best = min(best, (time.thread_time() - started) / PER_ROUND)
    profile = cProfile.Profile()
    profile.enable()
    await calls(app, path, headers, 500)
    profile.disable()
    counted = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return best * 1e6, counted / 500


async def profile_of(app: Any, path: str, headers: Headers, lines: int = 15) -> str:
    profile = cProfile.Profile()
    profile.enable()
    await calls(app, path, headers, 2000)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


def prepare() -> None:
    data = Path(tempfile.mkdtemp(prefix="admin_app_overhead_"))
    (data / "web" / "build" / "client").mkdir(parents=True)
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        DATA_DIR=str(data),
        AUTH_MODE="password",
        JWT_SECRET="benchmark-secret-" + "b" * 40,
        APP_URL="http://localhost:3000",
        REFLEX_STATES_WORKDIR=str(data / "states"),
        REFLEX_WEB_WORKDIR=str(data / "web"),
        # What `serve` sets for Reflex (admin_app/server.py).
        REFLEX_ENV_MODE="prod",
        __REFLEX_SKIP_COMPILE="true",
        __REFLEX_MOUNT_FRONTEND_COMPILED_APP="true",
    )


async def credentials(app: Any) -> tuple[str, str]:
    import httpx

    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        body = {"email": "ada@example.com", "password": PASSWORD}
        access = (await client.post("/auth/login", json=body)).json()["access_token"]
        created = await client.post(
            "/api/keys",
            json={"name": "overhead", "permissions": ["api_keys:write"]},
            headers={"Authorization": f"Bearer {access}"},
        )
        return access, created.json()["key"]


async def main() -> None:
    prepare()
    import bare_app

    from admin_app import migrate
    from admin_app.api.app import build_api
    from admin_app.asgi import application
    from admin_app.db import session_scope
    from admin_app.services.accounts import users
    from admin_app.services.request_context import RequestContext
    from admin_app.settings import get_settings

    migrate.upgrade()
    with session_scope() as db:
        users.create_user(
            db,
            settings=get_settings(),
            data=users.NewUser(
                username="ada", full_name="Ada", email="ada@example.com", password=PASSWORD
            ),
            ctx=RequestContext(),
        )
    served, api = application(), build_api()
    access, key = await credentials(served)
    token: Headers = [(b"authorization", f"Bearer {access}".encode())]
    keyed: Headers = [(b"x-api-key", key.encode())]
    rows = [
        ("bare FastAPI, GET /healthz (benchmarks/bare_app.py)", bare_app.app, "/healthz", []),
        ("the API app alone, GET /healthz", api, "/healthz", []),
        ("served (asgi.application), GET /healthz", served, "/healthz", []),
        ("served, GET /info", served, "/info", []),
        ("served, GET /auth/me with an access token", served, "/auth/me", token),
        ("served, GET /auth/me with an API key", served, "/auth/me", keyed),
    ]
    print(f"in-process, per request: CPU (best of {ROUNDS} x {PER_ROUND}) and Python calls\n")
    print(f"{'stack, request':52} {'CPU us':>8} {'calls':>7} {'x bare':>7}")
    bare_cpu = 0.0
    for name, app, path, headers in rows:
        cpu, counted = await cost(app, path, headers)
        bare_cpu = bare_cpu or cpu
        print(f"{name:52} {cpu:8.1f} {counted:7.0f} {cpu / bare_cpu:7.2f}")
    print("\nGET /auth/me (access token), by own time:")
    print(await profile_of(served, "/auth/me", token))


if __name__ == "__main__":
    asyncio.run(main())
