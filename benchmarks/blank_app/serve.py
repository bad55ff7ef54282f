"""Serve the blank app exactly as admin_app.server.serve serves admin_app.

cd benchmarks/blank_app && python serve.py PORT
"""

import os
import sys

os.environ["REFLEX_ENV_MODE"] = "prod"
os.environ["__REFLEX_SKIP_COMPILE"] = "true"
os.environ["__REFLEX_MOUNT_FRONTEND_COMPILED_APP"] = "true"

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server

if __name__ == "__main__":
    Server(
        target="blank_app.blank_app:app",
        factory=True,
        address="127.0.0.1",
        port=int(sys.argv[1]),
        interface=Interfaces.ASGI,
        workers=1,
        log_level=LogLevels.warning,
    ).serve()
