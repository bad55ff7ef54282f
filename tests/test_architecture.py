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


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _internal_imports(path: Path) -> set[str]:
    """admin_app modules `path` imports (also inside functions), as dotted names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("admin_app"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("admin_app"):
            assert node.module is not None
            # `from admin_app.x import y`: y is a module when there is such a file.
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                as_path = PACKAGE.parent / sub.replace(".", "/")
                exists = as_path.with_suffix(".py").exists() or (as_path / "__init__.py").exists()
                names.add(sub if exists else node.module)
    return names


def test_no_import_cycles() -> None:
    graph = {_module_name(p): _internal_imports(p) for p in PACKAGE.rglob("*.py")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target not in graph or target == module:
                continue
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


FACES = [PACKAGE / "api", PACKAGE / "ui", PACKAGE / "cli.py"]


def _face_files() -> list[Path]:
    return [p for face in FACES for p in ([face] if face.is_file() else face.rglob("*.py"))]


def test_faces_leave_permission_checks_to_the_services() -> None:
    """A face never checks a permission itself (`principal.require`): the service does."""
    offenders = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in _face_files()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "require"
    ]
    assert offenders == []


def test_only_settings_compares_the_auth_mode() -> None:
    """Everything else asks `settings.uses_passwords`, `code_at_every_signin` or `signin.plan`."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(isinstance(s, ast.Attribute) and s.attr == "auth_mode" for s in sides):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_every_coded_error_is_in_the_catalogue_and_has_an_api_status() -> None:
    from admin_app import errors
    from admin_app.api.errors import DOMAIN_STATUS

    elsewhere = [
        f"{path.relative_to(PACKAGE)}: {node.name}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "errors.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any(
            getattr(base, "id", getattr(base, "attr", "")) in _error_names() for base in node.bases
        )
    ]
    assert elsewhere == []
    assert set(errors.catalogue()) == set(DOMAIN_STATUS)
    assert all(not hasattr(kind, "status") for kind in errors.catalogue())


def _error_names() -> set[str]:
    from admin_app import errors

    return {kind.__name__ for kind in errors.catalogue()}
