"""REST API throughput and database cost, measured on the real server.

Starts `python -m admin_app serve` (granian, one worker, as `make run` does)
and loads it with wrk (Debian's `wrk`) from a second process:
  - GET /auth/me with a valid access token, against a bare JSON endpoint
    (GET /info) in the same run (target: at least 0.7);
  - POST /auth/refresh, each connection chaining the refresh token it got
    back (rotation), against /info at the same concurrency (target: 0.3);
  - POST /auth/login (password mode) against the argon2 bound, cores divided
    by one verify (target: 0.8).
Then, in this process, the database time of one token check and of one
sign-in's queries, through the app's code and through the raw driver
(target: at most 3 times).

    .venv/bin/python benchmarks/api.py [--database-url postgresql://...] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "correct horse battery staple"
SECRET = "benchmark-secret-" + "b" * 40

# Each wrk thread chains its own token family, as separate clients would.
REFRESH_LUA = """
local tokens = {%s}
local next_thread = 1
setup = function(thread)
  thread:set("token", tokens[next_thread])
  next_thread = next_thread + 1
end
request = function()
  return wrk.format("POST", "/auth/refresh", {["Content-Type"]="application/json"},
                    '{"refresh_token": "' .. token .. '"}')
end
response = function(status, headers, body)
  local t = body:match('"refresh_token":"([^"]+)"')
  if t then token = t end
end
"""
POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '%s'
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    script: str | None = None,
    header: str | None = None,
) -> tuple[float, int]:
    """(requests per second, non-2xx responses)."""
    args = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    if header:
        args += ["-H", header]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        if script:
            lua.write(script)
    if script:
        args += ["-s", lua.name]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def verdict(value: float, target: float, *, at_most: bool = False) -> str:
    ok = value <= target if at_most else value >= target
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")

    data_dir = Path(tempfile.mkdtemp(prefix="admin_app_bench_"))
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "AUTH_MODE": "password",
        "JWT_SECRET": SECRET,
        "APP_URL": f"http://localhost:{port}",
        "REFLEX_STATES_WORKDIR": str(data_dir / "states"),
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    os.environ.update(env)
    (data_dir / "web" / "build" / "client").mkdir(parents=True)
    env["REFLEX_WEB_WORKDIR"] = str(data_dir / "web")  # the API needs no pages

    from admin_app import migrate
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
                username="ada", full_name="Ada Lovelace", email="ada@example.com", password=PASSWORD
            ),
            ctx=RequestContext(),
        )

    server = subprocess.Popen(
        [sys.executable, "-m", "admin_app", "serve", f"--port={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/info", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        report(base, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)
    database_cost()


def report(base: str, seconds: int) -> None:
    from admin_app.services.accounts.hasher import passwords
    from admin_app.settings import get_settings

    pair = post(f"{base}/auth/login", {"email": "ada@example.com", "password": PASSWORD})
    bearer = f"Authorization: Bearer {pair['access_token']}"
    print(f"server: granian, 1 worker; load: wrk, {seconds} s per figure; cores: {os.cpu_count()}")
    print()
    info16, _ = wrk(f"{base}/info", seconds=seconds, connections=16)
    me16, me_bad = wrk(f"{base}/auth/me", seconds=seconds, connections=16, header=bearer)
    created = urllib.request.Request(
        f"{base}/api/keys",
        data=json.dumps({"name": "bench", "permissions": ["api_keys:write"]}).encode(),
        headers={"Content-Type": "application/json", "Authorization": bearer.split(": ")[1]},
    )
    with urllib.request.urlopen(created, timeout=10) as response:
        key = json.loads(response.read())["key"]
    key16, _key_bad = wrk(
        f"{base}/auth/me", seconds=seconds, connections=16, header=f"X-API-Key: {key}"
    )
    info2, _ = wrk(f"{base}/info", seconds=seconds, connections=2)
    families = [
        post(f"{base}/auth/login", {"email": "ada@example.com", "password": PASSWORD})
        for _ in range(2)
    ]
    refresh2, refresh_bad = wrk(
        f"{base}/auth/refresh",
        seconds=seconds,
        connections=2,
        script=REFRESH_LUA % ", ".join(f'"{f["refresh_token"]}"' for f in families),
    )
    body = json.dumps({"email": "ada@example.com", "password": PASSWORD})
    login16, login_bad = wrk(
        f"{base}/auth/login", seconds=seconds, connections=16, script=POST_LUA % body
    )
    hasher = passwords(get_settings())
    stored = hasher.hash(PASSWORD)
    times = []
    for _ in range(30):
        started = time.perf_counter()
        hasher.verify(stored, PASSWORD)
        times.append(time.perf_counter() - started)
    verify = statistics.median(times)
    bound = (os.cpu_count() or 1) / verify

    rows = [
        ("GET /info (bare JSON), 16 conns", info16, "", ""),
        (
            "GET /auth/me, 16 conns",
            me16,
            f"{me16 / info16:.2f} of /info",
            verdict(me16 / info16, 0.7),
        ),
        (
            "GET /auth/me with an API key, 16 conns",
            key16,
            f"{key16 / info16:.2f} of /info",
            verdict(key16 / info16, 0.5),
        ),
        ("GET /info (bare JSON), 2 conns", info2, "", ""),
        (
            "POST /auth/refresh, 2 chained conns",
            refresh2,
            f"{refresh2 / info2:.2f} of /info",
            verdict(refresh2 / info2, 0.3),
        ),
        (
            "POST /auth/login, 16 conns",
            login16,
            f"{login16 / bound:.2f} of argon2 bound",
            verdict(login16 / bound, 0.8),
        ),
    ]
    print(f"{'figure':40} {'req/s':>9}  {'ratio':24} target")
    for name, rps, ratio, ok in rows:
        print(f"{name:40} {rps:9.0f}  {ratio:24} {ok}")
    print(f"argon2 verify {verify * 1000:.1f} ms -> bound {bound:.0f} sign-ins/s")
    print(
        f"non-2xx answers: /auth/me {me_bad}, /auth/refresh {refresh_bad}, /auth/login {login_bad}"
    )


def database_cost(iterations: int = 1000) -> None:
    """The app's queries against the same SQL through the raw driver."""
    import datetime as dt

    from admin_app.db import get_engine, read_connection, session_scope
    from admin_app.security.randomness import new_id
    from admin_app.services.access import api_tokens, principals
    from admin_app.services.accounts import users
    from admin_app.services.limits import throttle
    from admin_app.services.request_context import RequestContext
    from admin_app.settings import get_settings

    settings = get_settings()
    engine = get_engine()
    ctx = RequestContext(ip="203.0.113.9", user_agent="bench")
    with session_scope() as db:
        user = users.find_by_identifier(db, "ada@example.com")
        assert user is not None and user.id is not None
        uid = user.id

    def app_token_check() -> None:
        with read_connection() as db:
            principals.principal_for_user(db, user_id=uid, stamp=None)

    def app_sign_in_queries() -> None:
        # The sign-in's database work, argon2 left out: throttle check, user
        # lookup, throttle reset, refresh-token row, audit row, commit.
        with session_scope() as db:
            throttle.check(db, settings=settings, identifier="ada@example.com", ip=ctx.ip)
            found = users.find_by_identifier(db, "ada@example.com")
            assert found is not None
            throttle.record_success(db, settings=settings, identifier="ada@example.com")
            api_tokens.issue_pair(db, settings=settings, user=found, ctx=ctx, method="password")

    principal_sql = str(principals._PRINCIPAL.compile(engine))
    url = engine.url
    if url.get_backend_name() == "sqlite":
        import sqlite3

        raw = sqlite3.connect(url.database or "", isolation_level=None)
        mark = "?"
        principal_raw = principal_sql.replace("?", str(uid))
    else:
        import psycopg

        raw = psycopg.connect(  # type: ignore[assignment]
            url.set(drivername="postgresql").render_as_string(hide_password=False),
            autocommit=True,
        )
        mark = "%s"
        principal_raw = principal_sql.replace("%(user_id)s", str(uid))

    def raw_token_check() -> None:
        raw.execute(principal_raw).fetchall()

    def raw_sign_in_queries() -> None:
        now = dt.datetime.now(dt.UTC)
        raw.execute("BEGIN")
        raw.execute(
            f"SELECT max(blocked_until) FROM rate_limits WHERE key IN ({mark}, {mark}) "
            f"AND blocked_until > {mark}",
            ("ip:203.0.113.9", "id:x", now),
        ).fetchall()
        raw.execute(
            f"SELECT id, username, full_name, email, password_hash, is_active, mfa_enabled, "
            f"security_stamp, created_at, updated_at FROM users WHERE lower(email) = {mark}",
            ("ada@example.com",),
        ).fetchall()
        raw.execute(f"DELETE FROM rate_limits WHERE key = {mark}", ("id:x",))
        raw.execute(
            f"INSERT INTO refresh_tokens (id, family_id, user_id, created_at, expires_at) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
            (new_id(), new_id(), uid, now, now + dt.timedelta(days=30)),
        )
        raw.execute(
            f"INSERT INTO audit_events (created_at, kind, user_id, ip, user_agent, detail) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark}, {mark})",
            (now, "signin.succeeded", uid, "203.0.113.9", "bench", "{}"),
        )
        raw.execute("COMMIT")

    def per_call(fn) -> float:  # type: ignore[no-untyped-def]
        for _ in range(50):
            fn()
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(iterations // 5):
                fn()
            samples.append((time.perf_counter() - started) / (iterations // 5))
        return statistics.median(samples)

    print()
    print(f"database time per operation ({url.get_backend_name()}), app code vs raw driver:")
    for name, app, bare in [
        ("token check", app_token_check, raw_token_check),
        ("sign-in queries", app_sign_in_queries, raw_sign_in_queries),
    ]:
        a, b = per_call(app), per_call(bare)
        print(
            f"  {name:16} app {a * 1e6:7.0f} us   raw {b * 1e6:7.0f} us   "
            f"ratio {a / b:5.1f}  target <= 3: {verdict(a / b, 3, at_most=True)}"
        )


if __name__ == "__main__":
    main()
