"""The password stage of a sign-in, and the budget every attempt is taken from.

`take_attempt` counts an attempt (and commits it) before the work it pays
for: argon2 here, a code's compare in `stages.complete`. A refusal leaves a
`signin.throttled` row on record.
"""

from __future__ import annotations

from sqlmodel import Session

from admin_app.errors import (
    AccountDisabled,
    InvalidCredentials,
    RateLimited,
)
from admin_app.models import User
from admin_app.services import on_record
from admin_app.services.accounts.hasher import passwords
from admin_app.services.accounts.users import find_by_identifier
from admin_app.services.limits import throttle
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

MAX_IDENTIFIER = 320


def take_attempt(
    session: Session,
    *,
    settings: Settings,
    identifier: str,
    user_id: int | None,
    ctx: RequestContext,
    hard: bool = True,
) -> throttle.Taken:
    try:
        return throttle.take(
            session,
            settings=settings,
            identifier=identifier,
            user_id=user_id,
            ip=ctx.ip,
            hard=hard,
        )
    except RateLimited:
        on_record.audit(
            session, kind="signin.throttled", ctx=ctx, user_id=user_id, identifier=identifier
        )
        raise


def check_password(
    session: Session, *, settings: Settings, identifier: str, password: str, ctx: RequestContext
) -> User:
    """The user whose email or username is `identifier` and whose password matches.

    Raises InvalidCredentials (the same for unknown users and wrong passwords)
    or AccountDisabled (only once the password has been proved). The attempt
    is taken from the budgets, and committed, before argon2 runs.
    """
    hasher = passwords(settings)
    identifier = identifier.strip()[:MAX_IDENTIFIER]
    user = find_by_identifier(session, identifier)
    taken = take_attempt(
        session,
        settings=settings,
        identifier=identifier,
        user_id=user.id if user else None,
        ctx=ctx,
    )
    # An unknown user still pays one argon2 verify, against a dummy hash.
    ok = hasher.verify(user.password_hash if user else None, password[:4096])
    if user is None or not ok:
        # The attempt is counted already; only the audit row is left to write.
        on_record.audit(
            session,
            kind="signin.failed",
            ctx=ctx,
            user_id=user.id if user else None,
            identifier=identifier,
            reason="password",
        )
        raise InvalidCredentials()
    throttle.give_back(session, taken)
    # Committed now: a rehash below must not run inside a write transaction.
    session.commit()
    if not user.is_active:
        on_record.audit(session, kind="signin.refused", ctx=ctx, user_id=user.id, reason="disabled")
        raise AccountDisabled()
    assert user.password_hash is not None
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        session.add(user)
    return user


def check_budget(
    session: Session,
    *,
    settings: Settings,
    identifier: str,
    user_id: int | None,
    ctx: RequestContext,
) -> None:
    try:
        throttle.check(
            session, settings=settings, identifier=identifier, ip=ctx.ip, user_id=user_id
        )
    except RateLimited:
        on_record.audit(
            session, kind="signin.throttled", ctx=ctx, user_id=user_id, identifier=identifier
        )
        raise
