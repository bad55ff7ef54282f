"""Backend start-up: migrate, then bootstrap the superadmin. Refuses to start on error."""

from __future__ import annotations

import asyncio
import gc
import logging

from sqlalchemy.engine import make_url

from admin_app import migrate, paths
from admin_app.db import session_scope
from admin_app.services import cleanup
from admin_app.services.accounts.bootstrap import ensure_superadmin
from admin_app.settings import Settings, get_settings

log = logging.getLogger(__name__)
CLEANUP_EVERY_SECONDS = 10 * 60


def summary(settings: Settings, *, host: str, port: int) -> str:
    """The one line `serve` prints: where it is, how it signs in, where data and mail go."""
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    if settings.smtp_host:
        mail = f"SMTP {settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    elif settings.dev_mailbox:
        mail = f"console and {settings.app_url}{paths.MAILBOX}"
    elif settings.is_production:
        mail = "not sent (no SMTP_HOST; the console shows only recipients and subjects)"
    else:
        mail = "console"
    return (
        f"admin_app serving {settings.app_url} (listening on {host}:{port}, {settings.app_env})"
        f" | AUTH_MODE={settings.auth_mode} | database {database} | mail: {mail}"
    )


def prepare() -> None:
    settings = get_settings()
    migrate.upgrade()
    with session_scope() as session:
        ensure_superadmin(session, settings=settings)


def clean_up() -> None:
    with session_scope() as session:
        removed = cleanup.run(session, audit_retention_days=get_settings().audit_retention_days)
    log.info("cleanup: %s", removed)


async def cleanup_loop() -> None:
    """Every few minutes, expired rows go (each worker runs it; the DELETEs are idempotent)."""
    while True:
        await asyncio.sleep(CLEANUP_EVERY_SECONDS)
        try:
            await asyncio.to_thread(clean_up)
        except Exception:  # a database that is down now may answer next time
            log.exception("cleanup failed; trying again in %s s", CLEANUP_EVERY_SECONDS)


async def on_backend_start() -> None:
    await asyncio.to_thread(prepare)
    # Everything imported so far lives as long as the process: keep it out of
    # the collector's way, or the first full collection stalls the event loop
    # for ~100 ms (measured by benchmarks/signin.py). Reflex's own production
    # start-up does the same; `serve` starts granian directly, so it is done here.
    gc.collect()
    gc.freeze()
