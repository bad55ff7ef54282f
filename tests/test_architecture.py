"""House rules that keep the layers apart (STYLE.md, habits 1 and 3)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "admin_app"
DOMAIN = ["services", "security", "models", "mail"]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_domain_layers_import_no_web_framework() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {sorted(bad)}"
        for layer in DOMAIN
        for path in (PACKAGE / layer).rglob("*.py")
        if (bad := _imports(path) & {"reflex", "fastapi", "starlette"})
    ]
    assert offenders == []


def test_only_settings_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    ]
    # server.py and frontend_build.py set or pass through Reflex's own switches.
    assert sorted(readers) == ["frontend_build.py", "server.py", "settings.py"]
