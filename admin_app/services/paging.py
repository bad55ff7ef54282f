"""Paging shared by every list (users, audit)."""

from __future__ import annotations

import dataclasses
from typing import Generic, TypeVar

from admin_app.errors import ValidationFailed

T = TypeVar("T")
MAX_PAGE_SIZE = 100


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


def bounds(page: int, page_size: int) -> tuple[int, int]:
    """(limit, offset) for a 1-based page; refuses nonsense."""
    if page < 1:
        raise ValidationFailed("page starts at 1.", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page_size is 1 to {MAX_PAGE_SIZE}.", field="page_size")
    return page_size, (page - 1) * page_size
