"""How a sign-in that passed every stage ends (SPEC sections 1, 3 and 6).

For a browser: a session row (a new browser is mailed), then a single-use
hand-off ticket the cookie route trades for the HttpOnly `token` cookie (and,
when the user ticked it, the `trusted_browser` cookie). For an API client:
a token pair, unless the MFA policy still wants an authenticator app.
"""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from admin_app.errors import MfaEnrolmentRequired
from admin_app.mail import notices
from admin_app.models import AuthSession, User
from admin_app.services import on_record
from admin_app.services.access import api_tokens, browser_sessions
from admin_app.services.audit import trail
from admin_app.services.devices import describe_device
from admin_app.services.factors import policy, trusted
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings


def finish(
    session: Session, *, settings: Settings, user: User, ctx: RequestContext, method: str
) -> AuthSession:
    """Open a browser session for a user who has passed every stage.

    A browser this user never signed in from before gets a mail saying so
    (not the very first sign-in of an account: every browser is new then).
    """
    assert user.id is not None
    new_device = browser_sessions.new_device(session, user_id=user.id, user_agent=ctx.user_agent)
    row = browser_sessions.start(session, settings=settings, user_id=user.id, ctx=ctx)
    trail.record(session, kind="signin.succeeded", ctx=ctx, user_id=user.id, method=method)
    if new_device:
        notices.tell(
            session,
            settings=settings,
            to=user.email,
            event=notices.Event.NEW_SIGNIN,
            ctx=ctx,
            user_id=user.id,
            device=describe_device(ctx.user_agent),
            ip=ctx.ip,
        )
    return row


def browser_ticket(
    session: Session,
    *,
    settings: Settings,
    user: User,
    ctx: RequestContext,
    method: str,
    trust_browser: bool = False,
) -> str:
    """Finish the sign-in for a browser: a hand-off ticket for the cookie route.

    `trust_browser` (ticked after a second step) makes the route set the
    "trust this browser" cookie as well.
    """
    row = finish(session, settings=settings, user=user, ctx=ctx, method=method)
    trust = trust_browser and trusted.offered(settings)
    return browser_sessions.issue_handoff(session, session_id=row.id, trust_browser=trust)


@dataclasses.dataclass(frozen=True, kw_only=True)
class HandedOff:
    cookie: str
    # The "trust this browser" cookie's value, when the user asked for it.
    trusted_browser: str | None


def hand_off(
    session: Session, *, settings: Settings, ticket: str, ctx: RequestContext
) -> HandedOff | None:
    """Redeem a hand-off ticket: the session cookie, and a trusted-browser cookie if asked."""
    redeemed = browser_sessions.redeem(session, settings=settings, ticket=ticket)
    if redeemed is None:
        return None
    token = None
    user = session.get(User, redeemed.user_id) if redeemed.trust_browser else None
    if user is not None:
        token = trusted.trust(session, settings=settings, user=user, ctx=ctx)
        trail.record(session, kind="browser.trusted", ctx=ctx, user_id=user.id)
    return HandedOff(cookie=redeemed.cookie, trusted_browser=token)


def api_tokens_for(
    session: Session, *, settings: Settings, user: User, ctx: RequestContext, method: str
) -> api_tokens.TokenPair:
    """Finish the sign-in for an API client: a token pair.

    A user the MFA policy covers who has no authenticator app yet is refused:
    the app is added in a browser, at the next sign-in there.
    """
    assert user.id is not None
    if policy.enrolment_due(session, settings=settings, user=user):
        on_record.audit(session, kind="signin.refused", ctx=ctx, user_id=user.id, reason="mfa")
        raise MfaEnrolmentRequired()
    return api_tokens.issue_pair(session, settings=settings, user=user, ctx=ctx, method=method)
