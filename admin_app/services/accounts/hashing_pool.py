"""The process's argon2 threads: as many as cores, at a lower scheduling priority.

argon2 is the one CPU-bound step of the auth paths, and on purpose: tens of
milliseconds of CPU per hash or verify (argon2-cffi releases the GIL while it
runs). Left in whichever worker thread the face picked, sixteen sign-ins ran
sixteen argon2s at once on two cores: they slowed each other down (every one
walks 19 MiB of memory) and the event loop thread queued behind them for CPU,
so every other user's events waited.

Here every hash and verify of the process runs in one pool of `cores()`
threads, each of which lowers its own scheduling priority (on Linux a
thread's nice value is its own): the kernel runs the event loop and the
threads doing SQL whenever they have work, and argon2 gets every spare
cycle. Callers block until their turn comes, so the rest of a sign-in
(SQL, audit rows) overlaps another sign-in's argon2.

Per process, never across a fork: the pool is made on first use, and a forked
child (a granian worker) drops the one it inherited, whose threads did not
survive the fork.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Added to the process's nice value: at nice +10 a thread's CPU weight is about
# a tenth of a nice-0 thread's (CFS weights 110 against 1024).
NICENESS = 10
THREAD_PREFIX = "argon2"
LANE_PREFIX = "argon2-lane"
# Calls admitted into the lane at once, per core (see `admitted`).
LANES_PER_CORE = 2

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_lane: ThreadPoolExecutor | None = None


def cores() -> int:
    """The cores this process may run on (its affinity, where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _lower_own_priority() -> None:
    # Only Linux gives each thread its own nice value (PRIO_PROCESS with a
    # thread id); elsewhere the same call would renice the whole process.
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + NICENESS))
    except OSError:
        pass  # a sandbox may refuse it: argon2 then runs at the usual priority


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(
                    max_workers=cores(),
                    thread_name_prefix=THREAD_PREFIX,
                    initializer=_lower_own_priority,
                )
    return _pool


def _get_lane() -> ThreadPoolExecutor:
    global _lane
    if _lane is None:
        with _lock:
            if _lane is None:
                _lane = ThreadPoolExecutor(
                    max_workers=max(1, LANES_PER_CORE * cores()), thread_name_prefix=LANE_PREFIX
                )
    return _lane


def run(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` on an argon2 thread; blocks until it is done."""
    if threading.current_thread().name.startswith(THREAD_PREFIX + "_"):
        return fn(*args, **kwargs)  # already on one: waiting for another would deadlock
    return _get_pool().submit(fn, *args, **kwargs).result()


async def admitted(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """A face's blocking call that runs argon2 (a sign-in, a sign-up, a password
    change), in a worker thread of its own lane: at most `LANES_PER_CORE` per
    core at once.

    The others wait on the event loop, holding no thread: asyncio's default
    executor (6 threads on 2 cores), which every page load's session check
    needs, is never filled by sign-ins waiting for argon2. Two per core keep
    the argon2 threads busy while the admitted calls do their SQL.
    """
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(_get_lane(), call)


def _after_fork_in_child() -> None:
    global _pool, _lane, _lock
    # The inherited pool's threads did not survive the fork; a lock held by one
    # of them at that moment would stay held forever.
    _pool = _lane = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
