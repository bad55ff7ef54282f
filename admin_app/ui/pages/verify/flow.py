"""What /verify asks the services: each call blocks (database, mail), so the page
runs it in a worker thread. The rules live in `services/signin`; this only
joins a step's answer to the browser's hand-off."""

from __future__ import annotations

from sqlmodel import Session

from admin_app.errors import DomainError
from admin_app.services.email_codes import code_step, code_store
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.passkeys.ceremony import Options
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import handover, plan, second_step, stages
from admin_app.settings import get_settings

# The steps after the first factor: where "trust this browser" is offered.
SECOND_STEPS = ("mfa", second_step.FACTOR)


def complete_step(
    db: Session,
    *,
    otp_session_id: str,
    code: str,
    method: str,
    trust_browser: bool,
    ctx: RequestContext,
) -> str | CodeSent:
    """Meet the waiting step by `method`: the hand-off ticket when the sign-in is
    done, or the next step (a CodeSent) when another is due."""
    settings = get_settings()
    outcome = stages.complete(
        db, settings=settings, otp_session_id=otp_session_id, code=code, ctx=ctx, method=method
    )
    if isinstance(outcome, CodeSent):
        return outcome
    return handover.browser_ticket(
        db,
        settings=settings,
        user=outcome,
        ctx=ctx,
        # The audit trail has always called the mailed code "code".
        method="code" if method == plan.Method.EMAIL else method,
        trust_browser=trust_browser,
    )


def passkey_options(db: Session, *, otp_session_id: str) -> Options:
    """A challenge for one of the step's user's passkeys, bound to the waiting step."""
    return second_step.passkey_options(db, settings=get_settings(), otp_session_id=otp_session_id)


def send_code(db: Session, *, otp_session_id: str, ctx: RequestContext) -> CodeSent:
    """Mail the step's code: the first one of a factor step, or a new one (cooldown)."""
    return stages.resend(db, settings=get_settings(), otp_session_id=otp_session_id, ctx=ctx)


def describe_flow(db: Session, otp_session_id: str) -> CodeSent | None:
    """The waiting flow an HTTP route parked under `otp_session_id`, if it still waits."""
    try:
        row = code_store.pending(db, otp_session_id)
    except DomainError:
        return None
    if row.purpose == second_step.FACTOR:
        return second_step.factor_sent(row)
    return code_step.code_sent(row)
