"""Authenticator apps (TOTP, RFC 6238): 6 digits, 30-second steps, SHA-1.

A new app is a row with a sealed secret that counts only once a code from it
was typed (`confirm`). A code is accepted for the current step or one step
either side, and once: the step it matched is claimed by one conditional
UPDATE (`last_step < step`), so a replayed code, or two requests racing with
the same code, get one success between them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import io

import pyotp
import segno
import sqlalchemy as sa
from sqlmodel import Session, col, select

from admin_app.clock import now
from admin_app.errors import NotFound, TooManyFactors
from admin_app.models import TotpFactor, User
from admin_app.security import sealed
from admin_app.services.factors import naming
from admin_app.settings import Settings

STEP_SECONDS = 30
DRIFT_STEPS = 1
DIGITS = 6
MAX_APPS = 10
# An app added but never confirmed is forgotten after this long.
UNCONFIRMED_FOR = dt.timedelta(hours=1)
SEAL_PURPOSE = "totp-seal"

table = TotpFactor.__table__  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Enrolment:
    """What the page shows to add an app: scan the QR code, or type the secret."""

    factor_id: int
    name: str
    secret: str
    uri: str
    qr_svg: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppInfo:
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


def _bound_to(user_id: int) -> str:
    return f"totp:{user_id}"


def _secret_of(settings: Settings, row: TotpFactor) -> str:
    return sealed.open_sealed(
        settings.jwt_secret, SEAL_PURPOSE, row.secret_sealed, bound_to=_bound_to(row.user_id)
    )


def _step(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an SVG document, made here (no third party sees it)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title="QR code"
    )
    return out.getvalue().decode()


def clean_name(raw: str) -> str:
    return naming.clean_name(raw, kind="app", such_as="the phone it is on")


def start(session: Session, *, settings: Settings, user: User, name: str) -> Enrolment:
    """A new, unconfirmed app for `user`; the secret is shown now and never again."""
    assert user.id is not None
    name = clean_name(name)
    moment = now()
    session.execute(
        sa.delete(table).where(
            table.c.user_id == user.id,
            table.c.confirmed_at.is_(None),
            table.c.created_at < moment - UNCONFIRMED_FOR,
        )
    )
    if len(list_apps(session, user_id=user.id)) >= MAX_APPS:
        raise TooManyFactors()
    secret = pyotp.random_base32()
    row = TotpFactor(
        user_id=user.id,
        name=name,
        secret_sealed=sealed.seal(
            settings.jwt_secret, SEAL_PURPOSE, secret, bound_to=_bound_to(user.id)
        ),
        created_at=moment,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.app_name)
    return Enrolment(factor_id=row.id, name=name, secret=secret, uri=uri, qr_svg=qr_svg(uri))


def _matched_step(secret: str, code: str, moment: dt.datetime) -> int | None:
    """The step `code` belongs to, within the allowed drift; None when it belongs to none."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = _step(moment)
    found = None
    # Every candidate is compared (constant time each), whichever matches.
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            found = step
    return found


def _claim(session: Session, factor_id: int, step: int, moment: dt.datetime) -> bool:
    won = session.execute(
        sa.update(table)
        .where(table.c.id == factor_id, table.c.last_step < step)
        .values(last_step=step, last_used_at=moment)
    )
    return getattr(won, "rowcount", 0) == 1


def confirm(
    session: Session, *, settings: Settings, user: User, factor_id: int, code: str
) -> TotpFactor | None:
    """Confirm a new app with a code from it; the row, or None when the code is not right.

    (The caller pays for the try: `tries.paid`.)
    """
    row = session.get(TotpFactor, factor_id)
    if row is None or row.user_id != user.id or row.confirmed_at is not None:
        raise NotFound("That authenticator app is not waiting to be added. Start again.")
    moment = now()
    step = _matched_step(_secret_of(settings, row), code, moment)
    if step is None or not _claim(session, factor_id, step, moment):
        return None
    row.confirmed_at = moment
    session.add(row)
    return row


def check(session: Session, *, settings: Settings, user_id: int, code: str) -> TotpFactor | None:
    """The confirmed app `code` came from, its step claimed; None when none accepts it."""
    moment = now()
    for row in session.exec(
        select(TotpFactor).where(
            TotpFactor.user_id == user_id, col(TotpFactor.confirmed_at).is_not(None)
        )
    ).all():
        step = _matched_step(_secret_of(settings, row), code, moment)
        if step is not None and row.id is not None and _claim(session, row.id, step, moment):
            return row
    return None


def list_apps(session: Session, *, user_id: int) -> list[AppInfo]:
    rows = session.exec(
        select(TotpFactor)
        .where(TotpFactor.user_id == user_id, col(TotpFactor.confirmed_at).is_not(None))
        .order_by(col(TotpFactor.created_at))
    ).all()
    return [
        AppInfo(id=r.id or 0, name=r.name, created_at=r.created_at, last_used_at=r.last_used_at)
        for r in rows
    ]


def remove(session: Session, *, user_id: int, factor_id: int) -> TotpFactor:
    """Delete one of the user's apps; the row it was (NotFound when it is not theirs)."""
    row = session.get(TotpFactor, factor_id)
    if row is None or row.user_id != user_id:
        raise NotFound("That authenticator app is not on your account.")
    session.delete(row)
    session.flush()
    return row


def remove_all(session: Session, *, user_id: int) -> int:
    result = session.execute(sa.delete(table).where(table.c.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)
