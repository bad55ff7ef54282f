"""Serve the built app in production mode: pages and backend on one port.

`reflex run --env prod` compiles and rebuilds the frontend at every start;
this serves the existing build (made by `reflex export --frontend-only`), so a
restart takes seconds, and tests can build once and start several backends.
"""

from __future__ import annotations

import os


def serve(*, host: str, port: int) -> None:
    # Reflex reads its own switches from the environment; these are the ones
    # `reflex run --env prod --single-port` sets for its backend process.
    os.environ["REFLEX_ENV_MODE"] = "prod"
    os.environ["__REFLEX_SKIP_COMPILE"] = "true"
    os.environ["__REFLEX_MOUNT_FRONTEND_COMPILED_APP"] = "true"

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server
    from reflex.utils import processes

    Server(
        target="admin_app.asgi:application",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        # In-process state (no REDIS_URL) needs a single worker.
        workers=processes.get_num_workers(),
        log_level=LogLevels.warning,
    ).serve()
