"""A try at a factor's code, paid from the account's sign-in budget.

The try is taken (and committed) before the compare, exactly like a password
(`limits/throttle.py`): six digits are guessable, so the lock that stops
password guessing stops code guessing as well. A right code gives it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from admin_app.errors import RateLimited, WrongFactorCode
from admin_app.models import User
from admin_app.services import on_record
from admin_app.services.limits import throttle
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

T = TypeVar("T")


def paid(
    session: Session,
    *,
    settings: Settings,
    user: User,
    ctx: RequestContext,
    failed_kind: str,
    check: Callable[[], T | None],
    **detail: object,
) -> T:
    """`check()` after taking a try; its result, or WrongFactorCode when it gave None."""
    assert user.id is not None
    try:
        taken = throttle.take(
            session, settings=settings, identifier=user.email, user_id=user.id, ip=ctx.ip
        )
    except RateLimited:
        on_record.audit(session, kind="signin.throttled", ctx=ctx, user_id=user.id, **detail)
        raise
    result = check()
    if result is None:
        on_record.audit(session, kind=failed_kind, ctx=ctx, user_id=user.id, **detail)
        raise WrongFactorCode()
    throttle.give_back(session, taken)
    return result
