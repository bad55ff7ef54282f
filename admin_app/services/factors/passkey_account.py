"""A user's own passkeys: add one (after a fresh proof), list, remove.

Adding is two calls, as the ceremony is: `start_adding` gives the options for
the browser's `navigator.credentials.create`, `finish_adding` keeps the
credential it made. Both are bound to the asking browser session or token
family. A first strong factor brings the recovery codes; the last one
removed takes them away. Every change is audited and mailed.
"""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from admin_app.mail import notices
from admin_app.models import User
from admin_app.services.access import fresh_proofs
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.audit import trail
from admin_app.services.factors import policy, recovery
from admin_app.services.passkeys import ceremony, credentials, registration
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings


@dataclasses.dataclass(frozen=True, kw_only=True)
class Added:
    passkey: credentials.PasskeyInfo
    # New recovery codes, shown once: made when this was the first strong factor.
    recovery_codes: list[str]


def _bound_to(actor: Principal) -> str:
    # An API key cannot get here (the faces refuse it); a session or token family can.
    return actor.proof_holder or f"user:{actor.user_id}"


def start_adding(
    session: Session, *, settings: Settings, actor: Principal, name: str, enrolling: bool = False
) -> ceremony.Options:
    """Options to make a passkey named `name`. A fresh proof is needed, except
    (`enrolling`) where the MFA policy makes this user add a factor now."""
    user = users.get(session, actor.user_id)
    if not (enrolling and policy.enrolment_due(session, settings=settings, user=user)):
        fresh_proofs.require(session, actor=actor)
    return registration.options(
        session, settings=settings, user=user, name=name, bound_to=_bound_to(actor)
    )


def finish_adding(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    credential: str,
    ctx: RequestContext,
) -> Added:
    """Keep the passkey the browser made for `start_adding`'s options."""
    user = users.get(session, actor.user_id)
    assert user.id is not None
    first = not policy.has_strong(session, user_id=user.id)
    row = registration.register(
        session,
        settings=settings,
        user=user,
        bound_to=_bound_to(actor),
        credential=credential,
        ctx=ctx,
    )
    codes = recovery.generate(session, settings=settings, user_id=user.id) if first else []
    _told(session, settings=settings, user=user, ctx=ctx, added=True, name=row.name)
    return Added(passkey=credentials.info(row), recovery_codes=codes)


def remove(
    session: Session, *, settings: Settings, actor: Principal, passkey_id: int, ctx: RequestContext
) -> None:
    """Remove a passkey: it stops working at once (needs a fresh proof)."""
    fresh_proofs.require(session, actor=actor)
    user = users.get(session, actor.user_id)
    assert user.id is not None
    row = credentials.remove(session, user_id=user.id, passkey_id=passkey_id)
    if not policy.has_strong(session, user_id=user.id):
        recovery.remove_all(session, user_id=user.id)
    _told(session, settings=settings, user=user, ctx=ctx, added=False, name=row.name)


def _told(
    session: Session, *, settings: Settings, user: User, ctx: RequestContext, added: bool, name: str
) -> None:
    trail.record(
        session,
        kind="factor.added" if added else "factor.removed",
        ctx=ctx,
        user_id=user.id,
        factor="passkey",
        name=name,
    )
    notices.tell(
        session,
        settings=settings,
        to=user.email,
        user_id=user.id,
        event=notices.Event.FACTOR_ADDED if added else notices.Event.FACTOR_REMOVED,
        ctx=ctx,
        factor=f"passkey “{name}”",
    )
