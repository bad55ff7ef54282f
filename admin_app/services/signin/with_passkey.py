"""Sign-in with a passkey, the same for pages and API (SPEC section 1).

No identifier is typed: the options name no account, the browser offers the
passkeys it holds for this site (a button, or the identifier field's
autofill), and the answer says whose passkey it is. A passkey with user
verification is both factors; without, one (`plan.after_passkey`), and the
steps left start as after a password.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from admin_app.mail.senders import Sender
from admin_app.models import User
from admin_app.security.client_ip import limit_group
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.limits import budgets
from admin_app.services.passkeys import authentication, ceremony
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import plan, second_step
from admin_app.settings import Settings

PURPOSE = "signin"
METHOD = "passkey"
OPTIONS_PER_MINUTE = 120


def options(session: Session, *, settings: Settings, ctx: RequestContext) -> ceremony.Options:
    """Options for a sign-in with any passkey of this site; `attempt_id` names the attempt.

    Anyone may ask, and each asking writes a challenge row: a network gets
    OPTIONS_PER_MINUTE of them (a page load and a click each take one).
    """
    budgets.take(
        session,
        f"passkey-options:{limit_group(ctx.ip)}",
        limit=OPTIONS_PER_MINUTE,
        window=dt.timedelta(minutes=1),
        message="Too many passkey sign-ins from this network. Try again in a minute.",
    )
    return authentication.options(session, settings=settings, purpose=PURPOSE)


def sign_in(
    session: Session,
    *,
    settings: Settings,
    attempt_id: str,
    credential: str,
    ctx: RequestContext,
    sender: Sender | None = None,
) -> User | CodeSent:
    """The browser's answer to `options`: the signed-in user, or the next step."""
    proved = authentication.prove(
        session,
        settings=settings,
        purpose=PURPOSE,
        credential=credential,
        ctx=ctx,
        attempt_id=attempt_id,
    )
    user = proved.user
    assert user.id is not None
    steps = plan.after_passkey(
        settings,
        user_verified=proved.user_verified,
        mfa_enabled=user.mfa_enabled,
        strong=second_step.strong_held(session, user_id=user.id),
    )
    due = second_step.start_steps(
        session,
        settings=settings,
        user=user,
        steps=steps,
        ctx=ctx,
        payload={"identifier": user.email, "first_factor": METHOD},
        sender=sender,
    )
    return user if due is None else due
