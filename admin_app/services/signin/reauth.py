"""Proving who is asking again, for sensitive changes ("sudo mode").

`reauthenticate` takes a proof (the password, a passkey, a code from an
authenticator app, a recovery code, or a code sent to the email) and makes the holder
fresh again (`access/fresh_proofs.py` holds the rule and its window).

A current-password or factor check spends the account's sign-in budget like
any sign-in (throttle.py), taken before argon2 runs: a stolen session is not
a faster way to guess the password.
"""

from __future__ import annotations

from sqlmodel import Session

from admin_app.errors import InvalidCredentials, MethodNotAvailable, ProofNeeded, UnknownCodeSession
from admin_app.mail.senders import Sender
from admin_app.models import User
from admin_app.services import on_record
from admin_app.services.access.fresh_proofs import fresh_until, is_fresh, mark, session_holder
from admin_app.services.access.principals import Principal
from admin_app.services.accounts.hasher import passwords
from admin_app.services.audit import trail
from admin_app.services.email_codes import code_store
from admin_app.services.email_codes.code_step import CodeSent, send_code
from admin_app.services.factors import account, recovery, totp, tries
from admin_app.services.limits import throttle
from admin_app.services.passkeys import authentication, ceremony, credentials
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

ACTION = "reauthenticate"
METHODS = ("password", "passkey", "totp", "recovery", "email")


def methods_for(session: Session, *, user: User) -> tuple[str, ...]:
    """The proofs this user can give, in the order the pages offer them."""
    assert user.id is not None
    has_app = bool(totp.list_apps(session, user_id=user.id))
    has_passkey = credentials.has_any(session, user_id=user.id)
    return tuple(
        method
        for method, held in (
            ("password", user.password_hash is not None),
            ("passkey", has_passkey),
            ("totp", has_app),
            (
                "recovery",
                (has_app or has_passkey) and recovery.left(session, user_id=user.id) > 0,
            ),
            ("email", True),
        )
        if held
    )


def passkey_options(
    session: Session, *, settings: Settings, actor: Principal, user: User
) -> ceremony.Options:
    """Options to re-authenticate with one of the user's passkeys, bound to the holder."""
    if actor.proof_holder is None:
        raise MethodNotAvailable("An API key cannot re-authenticate; it needs no fresh proof.")
    return authentication.options(
        session, settings=settings, purpose=ACTION, user=user, bound_to=actor.proof_holder
    )


def check_current_password(
    session: Session,
    *,
    settings: Settings,
    user: User,
    password: str,
    ctx: RequestContext,
    failed_kind: str,
    message: str,
    field: str,
) -> None:
    """The user's own password, checked against the account's budget; raises on failure."""
    assert user.id is not None
    taken = throttle.take(
        session, settings=settings, identifier=user.email, user_id=user.id, ip=ctx.ip
    )
    if not passwords(settings).verify(user.password_hash, password[:4096]):
        on_record.audit(session, kind=failed_kind, ctx=ctx, user_id=user.id)
        raise InvalidCredentials(message, field=field)
    throttle.give_back(session, taken)
    # Committed now: the new password's hash must not run inside a write transaction.
    session.commit()


def send_code_for(
    session: Session,
    *,
    settings: Settings,
    user: User,
    ctx: RequestContext,
    action: str = ACTION,
    sender: Sender | None = None,
) -> CodeSent:
    """A "confirm" code to the user's address, good only for `action`."""
    return send_code(
        session,
        settings=settings,
        user=user,
        purpose="confirm",
        ctx=ctx,
        payload={"identifier": user.email, "action": action},
        sender=sender,
    )


def check_code(
    session: Session,
    *,
    settings: Settings,
    user: User,
    action: str,
    otp_session_id: str | None,
    code: str | None,
) -> None:
    """The right code of a "confirm" flow for `action`; raises otherwise."""
    if not otp_session_id or not code:
        raise ProofNeeded()
    row = code_store.pending(session, otp_session_id)
    if (
        row.user_id != user.id
        or row.purpose != "confirm"
        or code_store.payload_of(row).get("action") != action
    ):
        raise UnknownCodeSession()
    code_store.verify(session, settings=settings, code_id=otp_session_id, code=code)


def reauthenticate(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    user: User,
    method: str,
    ctx: RequestContext,
    password: str | None = None,
    code: str | None = None,
    otp_session_id: str | None = None,
) -> None:
    """Prove who is asking (`method`: password, passkey, totp, recovery or email); the
    holder is fresh. A passkey's answer (to `passkey_options`) comes as `code`."""
    assert user.id is not None and user.id == actor.user_id
    user_id = user.id
    if actor.proof_holder is None:
        # An API key has nothing to refresh, and needs nothing (fresh_proofs.require).
        raise MethodNotAvailable("An API key cannot re-authenticate; it needs no fresh proof.")
    if method not in methods_for(session, user=user):
        raise MethodNotAvailable()
    if method == "password":
        check_current_password(
            session,
            settings=settings,
            user=user,
            password=password or "",
            ctx=ctx,
            failed_kind="reauth.failed",
            message="That password is not right.",
            field="password",
        )
    elif method == "passkey":
        authentication.prove(
            session,
            settings=settings,
            purpose=ACTION,
            credential=code or "",
            ctx=ctx,
            bound_to=actor.proof_holder,
            user_id=user_id,
        )
    elif method == "totp":
        tries.paid(
            session,
            settings=settings,
            user=user,
            ctx=ctx,
            failed_kind="reauth.failed",
            check=lambda: totp.check(session, settings=settings, user_id=user_id, code=code or ""),
            method=method,
        )
    elif method == "recovery":
        tries.paid(
            session,
            settings=settings,
            user=user,
            ctx=ctx,
            failed_kind="reauth.failed",
            check=lambda: (
                recovery.use(session, settings=settings, user_id=user_id, code=code or "") or None
            ),
            method=method,
        )
        account.recovery_used(session, settings=settings, user=user, ctx=ctx)
    else:
        check_code(
            session,
            settings=settings,
            user=user,
            action=ACTION,
            otp_session_id=otp_session_id,
            code=code,
        )
    mark(session, holder=actor.proof_holder, user_id=user.id, until=fresh_until(settings))
    trail.record(session, kind="reauth.succeeded", ctx=ctx, user_id=user.id, method=method)


def prove(
    session: Session,
    *,
    settings: Settings,
    user: User,
    action: str,
    session_id: str | None,
    otp_session_id: str | None,
    code: str | None,
) -> None:
    """A fresh proof of the browser session, or the right code of a "confirm" flow for `action`."""
    assert user.id is not None
    holder = session_holder(session_id) if session_id else None
    if is_fresh(session, holder=holder, user_id=user.id):
        return
    check_code(
        session,
        settings=settings,
        user=user,
        action=action,
        otp_session_id=otp_session_id,
        code=code,
    )
