"""The process's argon2 threads (lower priority, as many as cores) and the argon2 lane."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import argon2
import pytest

from admin_app.security.passwords import Passwords
from admin_app.services.accounts import hashing_pool
from admin_app.services.accounts.hasher import passwords
from admin_app.settings import Settings

T = TypeVar("T")


def _own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's loop may be running in this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


CHEAP = {"memory_kib": 8, "time_cost": 1, "parallelism": 1}
GOOD = "violet tractor sings under the quiet moon"
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="only Linux has a nice value per thread"
)


def _own_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


class Overlap:
    """Counts how many calls run at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __call__(self, seconds: float) -> str:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(seconds)
        with self._lock:
            self.now -= 1
        return threading.current_thread().name


@pytest.fixture
def fresh_pools() -> Iterator[None]:
    """Start from no pools (as a new process does) and leave none behind."""
    hashing_pool._after_fork_in_child()
    yield
    for pool in (hashing_pool._pool, hashing_pool._lane):
        if pool is not None:
            pool.shutdown(wait=True)
    hashing_pool._after_fork_in_child()


@linux_only
def test_argon2_threads_run_at_a_lower_priority_than_the_caller(fresh_pools: None) -> None:
    caller = _own_nice()
    assert hashing_pool.run(_own_nice) == min(19, caller + hashing_pool.NICENESS) > caller
    # The caller's own priority is left alone.
    assert _own_nice() == caller


@linux_only
def test_the_event_loop_thread_keeps_its_priority(fresh_pools: None) -> None:
    async def main() -> tuple[int, int]:
        loop_nice = _own_nice()
        await hashing_pool.admitted(hashing_pool.run, time.sleep, 0)
        return loop_nice, _own_nice()

    before, after = _own_loop(main())
    assert before == after


def test_the_pool_has_as_many_threads_as_cores(fresh_pools: None) -> None:
    overlap = Overlap()
    with ThreadPoolExecutor(max_workers=3 * hashing_pool.cores() + 2) as callers:
        names = list(
            callers.map(lambda _: hashing_pool.run(overlap, 0.02), range(3 * hashing_pool.cores()))
        )
    assert overlap.most == hashing_pool.cores()
    assert all(name.startswith(hashing_pool.THREAD_PREFIX + "_") for name in names)


def test_a_call_from_an_argon2_thread_runs_in_place(fresh_pools: None) -> None:
    # Waiting for another argon2 thread from one could deadlock a full pool.
    def nested() -> tuple[str, str]:
        return threading.current_thread().name, hashing_pool.run(
            lambda: threading.current_thread().name
        )

    outer, inner = hashing_pool.run(nested)
    assert outer == inner


def test_hash_and_verify_through_the_pool_answer_as_inline() -> None:
    pooled = Passwords(**CHEAP, run=hashing_pool.run)
    inline = Passwords(**CHEAP)
    for made_by, checked_by in ((pooled, inline), (inline, pooled), (pooled, pooled)):
        stored = made_by.hash(GOOD)
        assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
        assert checked_by.verify(stored, GOOD) is True
        assert checked_by.verify(stored, GOOD + "!") is False
    assert pooled.verify(None, GOOD) is False
    assert pooled.verify("not-a-hash", GOOD) is False


def test_the_process_hasher_runs_argon2_on_the_pool(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = passwords(settings)  # built first: its dummy hash is made once, in place
    threads: list[str] = []
    original_hash, original_verify = argon2.PasswordHasher.hash, argon2.PasswordHasher.verify

    def hash_(self: argon2.PasswordHasher, password: str | bytes, **kw: object) -> str:
        threads.append(threading.current_thread().name)
        return original_hash(self, password, **kw)  # type: ignore[arg-type]

    def verify(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        threads.append(threading.current_thread().name)
        return original_verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", hash_)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", verify)
    stored = hasher.hash(GOOD)
    assert hasher.verify(stored, GOOD)
    assert not hasher.verify(None, GOOD)
    assert len(threads) == 3
    assert all(name.startswith(hashing_pool.THREAD_PREFIX + "_") for name in threads)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_makes_its_own_pools(fresh_pools: None) -> None:
    parent_threads = hashing_pool.run(threading.get_native_id)
    _own_loop(hashing_pool.admitted(time.sleep, 0))
    assert hashing_pool._pool is not None and hashing_pool._lane is not None
    pid = os.fork()
    if pid == 0:  # the child: the parent's threads did not come along
        code = 1
        signal.alarm(10)  # an inherited pool would wait forever for threads that are gone
        try:
            dropped = hashing_pool._pool is None and hashing_pool._lane is None
            worked = hashing_pool.run(threading.get_native_id) != parent_threads
            admitted = _own_loop(hashing_pool.admitted(lambda: 42)) == 42
            code = 0 if dropped and worked and admitted else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert hashing_pool._pool is not None  # the parent keeps its own


def test_the_lane_admits_at_most_its_size_at_once(fresh_pools: None) -> None:
    overlap = Overlap()
    size = hashing_pool.LANES_PER_CORE * hashing_pool.cores()

    async def main() -> list[str]:
        return await asyncio.gather(
            *(hashing_pool.admitted(overlap, 0.02) for _ in range(3 * size))
        )

    names = _own_loop(main())
    assert overlap.most == size
    assert all(name.startswith(hashing_pool.LANE_PREFIX + "_") for name in names)


def test_a_full_lane_leaves_the_default_executor_free(fresh_pools: None) -> None:
    size = hashing_pool.LANES_PER_CORE * hashing_pool.cores()
    release = threading.Event()

    async def main() -> float:
        # Twice as many waiting as the lane holds: the rest wait on the loop.
        held = [
            asyncio.ensure_future(hashing_pool.admitted(release.wait, 10))
            for _ in range(2 * size + 10)
        ]
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        await asyncio.wait_for(asyncio.to_thread(lambda: None), timeout=2)
        waited = time.perf_counter() - start
        release.set()
        await asyncio.gather(*held)
        return waited

    assert _own_loop(main()) < 0.5
