"""The process's password hasher, built from settings once."""

from __future__ import annotations

from functools import lru_cache

from admin_app.security.passwords import Passwords
from admin_app.services.accounts import hashing_pool
from admin_app.settings import Settings


@lru_cache(maxsize=4)
def _hasher(memory_kib: int, time_cost: int, parallelism: int) -> Passwords:
    return Passwords(
        memory_kib=memory_kib,
        time_cost=time_cost,
        parallelism=parallelism,
        run=hashing_pool.run,
    )


def passwords(settings: Settings) -> Passwords:
    return _hasher(
        settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
    )
