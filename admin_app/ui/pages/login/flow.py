"""What /login asks the services: each call blocks (argon2, database, mail), so
the page runs it in a worker thread. The rules live in `services/signin`; this
only joins a sign-in's outcome to the browser's hand-off."""

from __future__ import annotations

from sqlmodel import Session

from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.passkeys.ceremony import Options
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import handover, stages, with_passkey
from admin_app.settings import get_settings
from admin_app.ui.state.auth import in_thread


def first_step(
    db: Session, identifier: str, password: str | None, ctx: RequestContext
) -> str | CodeSent:
    """Blocking (argon2, database, mail): the page runs it in a worker thread.

    A hand-off ticket when the user is signed in, CodeSent when a code must follow.
    """
    settings = get_settings()
    outcome = stages.begin(db, settings=settings, identifier=identifier, password=password, ctx=ctx)
    if isinstance(outcome, CodeSent):
        return outcome
    return handover.browser_ticket(db, settings=settings, user=outcome, ctx=ctx, method="password")


async def begin_sign_in(
    identifier: str, password: str | None, ctx: RequestContext
) -> str | CodeSent:
    """The page's sign-in work, as `submit` awaits it and benchmarks/signin.py times it:
    in a transaction of its own, in a thread of the argon2 lane."""
    return await in_thread(lambda db: first_step(db, identifier, password, ctx), argon2=True)


def passkey_options(db: Session, ctx: RequestContext) -> Options:
    """A new passkey sign-in attempt: its challenge, for any passkey of this site
    (a network may ask only so often: `with_passkey.OPTIONS_PER_MINUTE`)."""
    return with_passkey.options(db, settings=get_settings(), ctx=ctx)


def passkey_step(
    db: Session, attempt_id: str, credential: str, ctx: RequestContext
) -> str | CodeSent:
    """The browser's passkey answer: a hand-off ticket when the user is signed in,
    CodeSent when a step is left (a passkey without user verification, or the
    email code EMAIL_CODE_ALWAYS keeps)."""
    settings = get_settings()
    outcome = with_passkey.sign_in(
        db, settings=settings, attempt_id=attempt_id, credential=credential, ctx=ctx
    )
    if isinstance(outcome, CodeSent):
        return outcome
    return handover.browser_ticket(db, settings=settings, user=outcome, ctx=ctx, method="passkey")
