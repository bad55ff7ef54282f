"""A throwaway PostgreSQL server on loopback for the test run.

initdb refuses to run as root, so as root it runs under the `postgres` user.
Returns None (tests skip, saying why) when the binaries are not installed.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


@dataclasses.dataclass
class PostgresServer:
    bindir: Path
    datadir: Path
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, args: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return args

    def stop(self) -> None:
        subprocess.run(
            self._as_owner(
                [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        # Tens of thousands of files (one template copy per database): removing
        # them takes seconds, which the run need not wait for.
        # (`sh` returns at once; `rm` goes on in the background.)
        subprocess.run(
            ["sh", "-c", 'rm -rf -- "$1" &', "sh", str(self.datadir.parent)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )

    def restart(self) -> None:
        """Stop and start the server, as a database restart would in production."""
        self._pg_ctl("restart", "-m", "fast")

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            self._as_owner(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-w",
                    "-l",
                    str(self.datadir.parent / "log"),
                    *args,
                ]
            ),
            check=True,
            capture_output=True,
        )


def find_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start() -> PostgresServer | None:
    bindir = find_bindir()
    if bindir is None:
        return None
    root = Path(tempfile.mkdtemp(prefix="admin_app_pg_"))
    datadir = root / "data"
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    server = PostgresServer(bindir=bindir, datadir=datadir, port=free_port(), user=user)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(
        server._as_owner(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-A",
                "trust",
                "-U",
                user,
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    # Durability off: this server lives for one test run.
    options = (
        f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    server._pg_ctl("start", "-o", options)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", server.port)) == 0:
                return server
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not start; see its log in " + str(root / "log"))
