"""Backend start-up: migrate, then bootstrap the superadmin. Refuses to start on error."""

from __future__ import annotations

import asyncio
import gc
import logging

from admin_app import migrate
from admin_app.db import session_scope
from admin_app.services.bootstrap import ensure_superadmin
from admin_app.settings import get_settings

log = logging.getLogger(__name__)


def prepare() -> None:
    settings = get_settings()
    migrate.upgrade()
    with session_scope() as session:
        ensure_superadmin(session, settings=settings)


async def on_backend_start() -> None:
    await asyncio.to_thread(prepare)
    # Everything imported so far lives as long as the process: keep it out of
    # the collector's way, or the first full collection stalls the event loop
    # for ~100 ms (measured by benchmarks/signin.py). Reflex's own production
    # start-up does the same; `serve` starts granian directly, so it is done here.
    gc.collect()
    gc.freeze()
