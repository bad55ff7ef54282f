"""Build the frontend only when something it depends on has changed.

The build bakes in the app's port (from APP_URL) and APP_NAME, so those are
part of the fingerprint along with every source file, the APP_EXTENSIONS
modules' included.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from admin_app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ("admin_app", "assets", "rxconfig.py", "reflex.lock")


def extension_sources(settings: Settings) -> list[Path]:
    """The files of the APP_EXTENSIONS modules (a package: its whole folder)."""
    roots = []
    for name in settings.extensions:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise SettingsError(f"APP_EXTENSIONS names {name}, which cannot be imported.")
        origin = Path(spec.origin)
        roots.append(origin.parent if origin.name == "__init__.py" else origin)
    return roots


def fingerprint(settings: Settings) -> str:
    baked = f"{settings.app_url}|{settings.app_name}|{','.join(settings.extensions)}"
    digest = hashlib.sha256(baked.encode())
    for root in [*(ROOT / name for name in INPUTS), *extension_sources(settings)]:
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                digest.update(str(label).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def web_dir() -> Path:
    # REFLEX_WEB_WORKDIR is Reflex's own switch; tests build into their own folder.
    return ROOT / os.environ.get("REFLEX_WEB_WORKDIR", ".web")


def build(settings: Settings, *, force: bool = False) -> bool:
    """Run `reflex export --frontend-only` if needed; True when it built."""
    stamp = web_dir() / "admin_app-build.sha256"
    wanted = fingerprint(settings)
    if not force and stamp.exists() and stamp.read_text() == wanted:
        return False
    subprocess.run(
        [
            sys.executable,
            "-m",
            "reflex",
            "export",
            "--frontend-only",
            "--no-zip",
            "--loglevel",
            "warning",
        ],
        cwd=ROOT,
        check=True,
    )
    # The build may update reflex.lock/ itself: fingerprint what is there now.
    stamp.write_text(fingerprint(settings))
    return True
