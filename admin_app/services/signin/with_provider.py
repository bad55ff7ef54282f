"""A provider's identity (Google, GitHub, Microsoft) as a sign-in's first factor.

The identity stands in for identify and password, never for the code: when
`plan` says a code is due, one is mailed and the sign-in waits on /verify.
"""

from __future__ import annotations

from sqlmodel import Session

from admin_app.models import AuthSession
from admin_app.services.accounts import users
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import handover, identities, stages
from admin_app.services.signin.identities import ProviderIdentity
from admin_app.settings import Settings


def sign_in(
    session: Session, *, settings: Settings, identity: ProviderIdentity, ctx: RequestContext
) -> AuthSession | CodeSent:
    """The browser session of a signed-in user, or the code on its way when one is due."""
    user = identities.resolve(session, settings=settings, identity=identity, ctx=ctx)
    method = f"oauth:{identity.provider}"
    sent = stages.code_if_due(
        session,
        settings=settings,
        user=user,
        ctx=ctx,
        payload={"identifier": user.email, "method": method},
    )
    if sent is not None:
        return sent
    return handover.finish(session, settings=settings, user=user, ctx=ctx, method=method)


def ways_in(session: Session, *, settings: Settings, email: str | None) -> list[str]:
    """How the account an identity's email matched signs in instead (never how to get in)."""
    user = users.find_by_identifier(session, email or "")
    return identities.sign_in_methods(session, settings=settings, user=user) if user else []
