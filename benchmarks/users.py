"""The /users list at 1,000 and at 100,000 users.

Seeds users in bulk, then times the service the page and the API call
(admin_users.search): the first page, a search, and a deep page, each the
median of several runs, at 1k and at 100k users. Targets: each under 50 ms,
and the 100k figure within 1.5 times the 1k figure.

    .venv/bin/python benchmarks/users.py [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (1_000, 100_000)
RUNS = 7


def seed(total: int) -> None:
    """Grow the users table to `total` rows with one bulk insert per 5,000."""
    import sqlalchemy as sa

    from admin_app.db import get_engine
    from admin_app.models import User, UserRole

    users, user_roles = User.__table__, UserRole.__table__  # type: ignore[attr-defined]
    engine = get_engine()
    with engine.begin() as conn:
        have = conn.execute(sa.select(sa.func.count()).select_from(users)).scalar() or 0
        role_id = conn.execute(sa.text("SELECT id FROM roles WHERE name = 'User'")).scalar()
        now = dt.datetime.now(dt.UTC)
        for start in range(have, total, 5000):
            batch = [
                {
                    "username": f"user{n:06d}",
                    "full_name": f"Person Number {n}",
                    "email": f"user{n:06d}@example.com",
                    "password_hash": None,
                    "is_active": n % 50 != 0,
                    "mfa_enabled": n % 7 == 0,
                    "security_stamp": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, min(start + 5000, total))
            ]
            ids = conn.execute(sa.insert(users).returning(users.c.id), batch).scalars().all()
            conn.execute(sa.insert(user_roles), [{"user_id": i, "role_id": role_id} for i in ids])
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: statistics and visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE users"))


def median_ms(fn: Callable[[], object]) -> float:
    fn()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="admin_app_users_bench_")
    os.environ.update(DATA_DIR=data_dir, JWT_SECRET="users-benchmark-" + "u" * 40)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url

    from admin_app import migrate
    from admin_app.db import session_scope
    from admin_app.services.access import permissions
    from admin_app.services.access.principals import Principal
    from admin_app.services.admin import directory

    migrate.upgrade()
    admin = Principal(
        user_id=0,
        username="bench",
        full_name="Bench",
        email="bench@example.com",
        mfa_enabled=False,
        roles=["Admin"],
        permissions=permissions.names(),
    )

    def listing(**kwargs: object) -> Callable[[], object]:
        def run() -> object:
            with session_scope() as db:
                return directory.search(db, actor=admin, page_size=25, **kwargs)  # type: ignore[arg-type]

        return run

    figures: dict[int, dict[str, float]] = {}
    for size in SIZES:
        started = time.perf_counter()
        seed(size)
        print(f"seeded {size:,} users in {time.perf_counter() - started:.1f} s", flush=True)
        deep_page = size // 25 - 1
        figures[size] = {
            "first page": median_ms(listing()),
            "search 'number 4242'": median_ms(listing(query="number 4242")),
            "search, disabled only": median_ms(listing(query="user00", active=False)),
            "deep page (the last)": median_ms(listing(page=deep_page)),
        }
    small, large = figures[SIZES[0]], figures[SIZES[1]]
    print()
    print(f"{'operation':30} {'1k ms':>8} {'100k ms':>9}  {'ratio':>6}  target")
    for (name, a), b in zip(small.items(), large.values(), strict=True):
        ok = b < 50 and b <= 1.5 * a
        print(f"{name:30} {a:8.1f} {b:9.1f}  {b / a:6.1f}  {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
