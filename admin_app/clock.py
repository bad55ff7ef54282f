"""The one clock: aware UTC datetimes everywhere, movable in tests."""

from __future__ import annotations

import datetime as dt


class Clock:
    """Wall-clock time; tests swap `clock.offset` to travel forward."""

    offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset


clock = Clock()


def now() -> dt.datetime:
    return clock.now()
