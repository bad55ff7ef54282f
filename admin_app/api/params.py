"""Bounded integers for ids and page numbers in paths and queries.

An id past PostgreSQL's `integer` (2^31 - 1) or SQLite's 64 bits reached the
driver and came back as a 500; bounded here, it is a 422 that says why.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1
# page * page_size must stay a small OFFSET; no list has a million pages.
MAX_PAGE = 1_000_000

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]
