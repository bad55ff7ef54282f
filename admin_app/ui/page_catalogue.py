"""Every signed-in page: its route, title, the permission it needs and its sidebar entry.

Filled by `protected_page` (admin_app.ui.layout) as page modules are
imported, built-in and extension pages alike; read by the sidebar (to show an
entry only to those allowed) and by the guard (to refuse the rest on the
server). No Reflex here: it is plain data.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class NavEntry:
    """A sidebar link: `icon` is a Lucide icon name; lower `order` comes first."""

    label: str
    icon: str
    order: int = 100


@dataclasses.dataclass(frozen=True)
class ProtectedPage:
    route: str
    title: str
    permission: str | None
    nav: NavEntry | None
    # Event handlers the guard runs once it has let the visitor in.
    on_load: tuple[Any, ...]


_PAGES: dict[str, ProtectedPage] = {}


def _key(route: str) -> str:
    # Reflex names the root route "index" in its router data.
    bare = route.strip("/")
    return "/" if bare in ("", "index") else f"/{bare}"


def add(page: ProtectedPage) -> None:
    if _key(page.route) in _PAGES:
        raise ValueError(f"two protected pages claim the route {page.route}")
    _PAGES[_key(page.route)] = page


def find(route: str) -> ProtectedPage | None:
    """The page at `route`: Reflex's route pattern, with or without slashes."""
    return _PAGES.get(_key(route))


def nav_entries() -> list[ProtectedPage]:
    """The pages with a sidebar entry, in sidebar order."""
    framed = [page for page in _PAGES.values() if page.nav is not None]
    return sorted(framed, key=lambda page: page.nav.order if page.nav else 0)
