"""Sign-in stages. A stage proves something about the user; `finish` opens the session.

Every stage costs the same for an unknown identifier as for a known one with
a wrong secret, and answers the same: the sign-in never reveals who has an
account.
"""

from __future__ import annotations

from sqlmodel import Session

from admin_app.errors import AccountDisabled, InvalidCredentials
from admin_app.models import AuthSession, User
from admin_app.services import audit, sessions
from admin_app.services.context import RequestContext
from admin_app.services.hashing import passwords
from admin_app.services.users import find_by_identifier
from admin_app.settings import Settings


def check_password(
    session: Session, *, settings: Settings, identifier: str, password: str, ctx: RequestContext
) -> User:
    """The user whose email or username is `identifier` and whose password matches.

    Raises InvalidCredentials (the same for unknown users and wrong passwords)
    or AccountDisabled (only once the password has been proved).
    """
    hasher = passwords(settings)
    user = find_by_identifier(session, identifier)
    # An unknown user still pays one argon2 verify, against a dummy hash.
    ok = hasher.verify(user.password_hash if user else None, password[:4096])
    if user is None or not ok:
        audit.record(
            session,
            kind="signin.failed",
            ctx=ctx,
            user_id=user.id if user else None,
            identifier=identifier.strip()[:320],
        )
        # The failure must be on record even though the caller's scope rolls back.
        session.commit()
        raise InvalidCredentials()
    if not user.is_active:
        audit.record(session, kind="signin.refused", ctx=ctx, user_id=user.id, reason="disabled")
        session.commit()
        raise AccountDisabled()
    assert user.password_hash is not None
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        session.add(user)
    return user


def finish(
    session: Session, *, settings: Settings, user: User, ctx: RequestContext, method: str
) -> AuthSession:
    """Open a browser session for a user who has passed every stage."""
    assert user.id is not None
    row = sessions.start(session, settings=settings, user_id=user.id, ctx=ctx)
    audit.record(session, kind="signin.succeeded", ctx=ctx, user_id=user.id, method=method)
    return row


def browser_ticket(
    session: Session, *, settings: Settings, user: User, ctx: RequestContext, method: str
) -> str:
    """Finish the sign-in for a browser: a hand-off ticket for the cookie route."""
    row = finish(session, settings=settings, user=user, ctx=ctx, method=method)
    return sessions.issue_handoff(session, session_id=row.id)
