"""A user's own second factors: add, confirm and remove authenticator apps,
recovery codes, trusted browsers; and an admin's reset of them all.

Every change here is a sensitive one: adding, removing and new recovery codes
need a fresh proof (`fresh_proofs.require`), are audited, and are mailed to
the user (`mail.notices`). Recovery codes are made when the first app is
confirmed, and go when the last app goes (they would open nothing then).
"""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from admin_app.errors import MethodNotAvailable
from admin_app.mail import notices
from admin_app.models import User
from admin_app.services.access import fresh_proofs
from admin_app.services.access.principals import Principal
from admin_app.services.accounts import users
from admin_app.services.audit import trail
from admin_app.services.factors import policy, recovery, totp, tries, trusted
from admin_app.services.passkeys import credentials
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings


@dataclasses.dataclass(frozen=True, kw_only=True)
class Overview:
    """What /profile and `GET /auth/factors` show."""

    apps: list[totp.AppInfo]
    passkeys: list[credentials.PasskeyInfo]
    recovery_left: int
    browsers: list[trusted.TrustedInfo]

    @property
    def has_strong(self) -> bool:
        return bool(self.apps or self.passkeys)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Confirmed:
    app: totp.AppInfo
    # New recovery codes, shown once: made when this was the first app.
    recovery_codes: list[str]


def overview(session: Session, *, user: User) -> Overview:
    assert user.id is not None
    return Overview(
        apps=totp.list_apps(session, user_id=user.id),
        passkeys=credentials.list_for(session, user_id=user.id),
        recovery_left=recovery.left(session, user_id=user.id),
        browsers=trusted.list_for(session, user=user),
    )


def _owner(session: Session, actor: Principal) -> User:
    return users.get(session, actor.user_id)


def start_app(
    session: Session, *, settings: Settings, actor: Principal, name: str, enrolling: bool = False
) -> totp.Enrolment:
    """Begin adding an authenticator app. A fresh proof is needed, except
    (`enrolling`) where the MFA policy makes this user add one before going
    anywhere: then the sign-in that brought them there is proof enough."""
    user = _owner(session, actor)
    if not (enrolling and policy.enrolment_due(session, settings=settings, user=user)):
        fresh_proofs.require(session, actor=actor)
    return totp.start(session, settings=settings, user=user, name=name)


def confirm_app(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    factor_id: int,
    code: str,
    ctx: RequestContext,
) -> Confirmed:
    """The first code from the new app: it counts from now on. The try is paid for."""
    user = _owner(session, actor)
    assert user.id is not None
    first = not policy.has_strong(session, user_id=user.id)
    row = tries.paid(
        session,
        settings=settings,
        user=user,
        ctx=ctx,
        failed_kind="factor.confirm_failed",
        check=lambda: totp.confirm(
            session, settings=settings, user=user, factor_id=factor_id, code=code
        ),
    )
    codes = recovery.generate(session, settings=settings, user_id=user.id) if first else []
    trail.record(
        session, kind="factor.added", ctx=ctx, user_id=user.id, factor="totp", name=row.name
    )
    notices.tell(
        session,
        settings=settings,
        to=user.email,
        user_id=user.id,
        event=notices.Event.FACTOR_ADDED,
        ctx=ctx,
        factor=f"authenticator app “{row.name}”",
    )
    app = totp.AppInfo(
        id=row.id or 0, name=row.name, created_at=row.created_at, last_used_at=row.last_used_at
    )
    return Confirmed(app=app, recovery_codes=codes)


def remove_app(
    session: Session, *, settings: Settings, actor: Principal, factor_id: int, ctx: RequestContext
) -> None:
    fresh_proofs.require(session, actor=actor)
    user = _owner(session, actor)
    assert user.id is not None
    row = totp.remove(session, user_id=user.id, factor_id=factor_id)
    if not policy.has_strong(session, user_id=user.id):
        recovery.remove_all(session, user_id=user.id)
    trail.record(
        session, kind="factor.removed", ctx=ctx, user_id=user.id, factor="totp", name=row.name
    )
    notices.tell(
        session,
        settings=settings,
        to=user.email,
        user_id=user.id,
        event=notices.Event.FACTOR_REMOVED,
        ctx=ctx,
        factor=f"authenticator app “{row.name}”",
    )


def regenerate_recovery(
    session: Session, *, settings: Settings, actor: Principal, ctx: RequestContext
) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    fresh_proofs.require(session, actor=actor)
    user = _owner(session, actor)
    assert user.id is not None
    if not policy.has_strong(session, user_id=user.id):
        raise MethodNotAvailable(
            "Recovery codes come with an authenticator app or a passkey: add one first."
        )
    codes = recovery.generate(session, settings=settings, user_id=user.id)
    trail.record(session, kind="recovery.regenerated", ctx=ctx, user_id=user.id)
    notices.tell(
        session,
        settings=settings,
        to=user.email,
        user_id=user.id,
        event=notices.Event.RECOVERY_CODES_REGENERATED,
        ctx=ctx,
    )
    return codes


def recovery_used(session: Session, *, settings: Settings, user: User, ctx: RequestContext) -> None:
    """A recovery code was spent: audited, and the user is told (with how many are left)."""
    assert user.id is not None
    left = recovery.left(session, user_id=user.id)
    trail.record(session, kind="recovery.used", ctx=ctx, user_id=user.id, left=left)
    notices.tell(
        session,
        settings=settings,
        to=user.email,
        event=notices.Event.RECOVERY_CODE_USED,
        ctx=ctx,
        user_id=user.id,
        left=left,
    )


def forget_browser(
    session: Session, *, actor: Principal, browser_id: str, ctx: RequestContext
) -> None:
    """Stop trusting one browser: its next sign-in asks for the second step again."""
    trusted.revoke(session, user_id=actor.user_id, browser_id=browser_id)
    trail.record(session, kind="browser.untrusted", ctx=ctx, user_id=actor.user_id)


def reset_all(
    session: Session, *, settings: Settings, user: User, ctx: RequestContext, actor_id: int | None
) -> None:
    """An admin's reset: every app, passkey, recovery code and trusted browser of `user` goes.

    (The permission and fresh-proof checks are the caller's: admin/manage.py;
    the CLI's operator, `actor_id=None`, has the machine.)
    """
    assert user.id is not None
    apps = totp.remove_all(session, user_id=user.id)
    passkeys = credentials.remove_all(session, user_id=user.id)
    recovery.remove_all(session, user_id=user.id)
    browsers = trusted.revoke_all(session, user_id=user.id)
    trail.record(
        session,
        kind="factors.reset",
        ctx=ctx,
        user_id=user.id,
        actor_id=actor_id,
        apps=apps,
        passkeys=passkeys,
        browsers=browsers,
    )
    notices.tell(
        session,
        settings=settings,
        to=user.email,
        user_id=user.id,
        event=notices.Event.FACTORS_RESET,
        ctx=ctx,
    )
