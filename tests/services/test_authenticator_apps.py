"""Authenticator apps and recovery codes as services: sealing, drift, replay, races, audit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import NotFound, ProofNeeded, RateLimited, WrongFactorCode
from admin_app.models import AuditEvent, RecoveryCode, TotpFactor, User
from admin_app.security import sealed
from admin_app.services.factors import account, recovery, totp
from admin_app.settings import Settings
from tests.conftest import CTX
from tests.support.db import principal_of
from tests.support.smtp import SmtpServer

MakeUser = Callable[..., User]
Travel = Callable[[float], None]


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings("password")


def add_app(
    db: Session, settings: Settings, user: User, name: str = "Phone"
) -> tuple[str, account.Confirmed]:
    """An app added and confirmed as a user would: its secret, and what confirming gave."""
    actor = principal_of(db, user)
    enrolment = account.start_app(db, settings=settings, actor=actor, name=name)
    db.commit()
    confirmed = account.confirm_app(
        db,
        settings=settings,
        actor=actor,
        factor_id=enrolment.factor_id,
        code=pyotp.TOTP(enrolment.secret).at(now().timestamp()),
        ctx=CTX,
    )
    db.commit()
    return enrolment.secret, confirmed


def _kinds(engine: Engine) -> list[str]:
    with Session(engine) as fresh:
        return list(fresh.execute(sa.select(AuditEvent.kind).order_by(AuditEvent.id)).scalars())


def test_the_secret_is_sealed_at_rest_and_bound_to_its_user(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    ada, bob = make_user(), make_user()
    secret, _ = add_app(db, settings, ada)
    row = db.exec(sa.select(TotpFactor)).scalars().one()  # type: ignore[call-overload]
    assert secret not in row.secret_sealed and row.secret_sealed.startswith("v1.")
    assert (
        sealed.open_sealed(
            settings.jwt_secret, totp.SEAL_PURPOSE, row.secret_sealed, bound_to=f"totp:{ada.id}"
        )
        == secret
    )
    # Moved to another user's row, or opened with another app secret, it does not open.
    with pytest.raises(sealed.CannotOpen):
        sealed.open_sealed(
            settings.jwt_secret, totp.SEAL_PURPOSE, row.secret_sealed, bound_to=f"totp:{bob.id}"
        )
    with pytest.raises(sealed.CannotOpen):
        sealed.open_sealed(
            "another secret " * 4, totp.SEAL_PURPOSE, row.secret_sealed, bound_to=f"totp:{ada.id}"
        )


def test_the_enrolment_shows_an_svg_qr_code_of_an_otpauth_uri(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user(email="ada@example.com")
    enrolment = account.start_app(
        db, settings=settings, actor=principal_of(db, ada), name="  Work   phone "
    )
    assert enrolment.name == "Work phone"
    assert enrolment.uri.startswith("otpauth://totp/") and "ada%40example.com" in enrolment.uri
    assert f"secret={enrolment.secret}" in enrolment.uri
    assert enrolment.qr_svg.lstrip().startswith("<svg") and "<path" in enrolment.qr_svg


def test_an_app_counts_only_once_confirmed_and_the_first_brings_recovery_codes(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    ada = make_user(email="ada@example.com")
    actor = principal_of(db, ada)
    enrolment = account.start_app(db, settings=settings, actor=actor, name="Phone")
    db.commit()
    assert totp.list_apps(db, user_id=ada.id or 0) == []
    with pytest.raises(WrongFactorCode):
        account.confirm_app(
            db,
            settings=settings,
            actor=actor,
            factor_id=enrolment.factor_id,
            code="000000",
            ctx=CTX,
        )
    first = account.confirm_app(
        db,
        settings=settings,
        actor=actor,
        factor_id=enrolment.factor_id,
        code=pyotp.TOTP(enrolment.secret).now(),
        ctx=CTX,
    )
    db.commit()
    assert [app.name for app in totp.list_apps(db, user_id=ada.id or 0)] == ["Phone"]
    assert len(first.recovery_codes) == 10 and len(set(first.recovery_codes)) == 10
    assert recovery.left(db, user_id=ada.id or 0) == 10
    # A second app brings no new codes; the old ones stay.
    _, second = add_app(db, settings, ada, name="Tablet")
    assert second.recovery_codes == []
    assert recovery.left(db, user_id=ada.id or 0) == 10
    assert _kinds(engine).count("factor.added") == 2
    assert "factor.confirm_failed" in _kinds(engine)
    mail = smtp_server.inbox.wait_for("ada@example.com", count=2)
    assert "Phone" in smtp_server.inbox.text(smtp_server.inbox.to("ada@example.com")[0])
    assert "second factor" in str(mail["Subject"]).lower()


def test_codes_are_stored_hashed_and_work_once(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    _, confirmed = add_app(db, settings, ada)
    code = confirmed.recovery_codes[0]
    stored = db.exec(sa.select(RecoveryCode)).scalars().all()  # type: ignore[call-overload]
    assert all(code.replace("-", "") not in row.code_hmac for row in stored)
    assert len({row.salt for row in stored}) == len(stored) == 10
    # Case, spaces and dashes do not matter; the second use fails.
    assert recovery.use(
        db, settings=settings, user_id=ada.id or 0, code=code.upper().replace("-", " ")
    )
    assert not recovery.use(db, settings=settings, user_id=ada.id or 0, code=code)
    assert recovery.left(db, user_id=ada.id or 0) == 9


def test_regenerating_kills_the_old_codes_and_needs_a_fresh_proof(
    db: Session,
    engine: Engine,
    settings: Settings,
    make_user: MakeUser,
    travel: Travel,
    smtp_server: SmtpServer,
) -> None:
    ada = make_user(email="ada@example.com")
    _, confirmed = add_app(db, settings, ada)
    actor = principal_of(db, ada)
    new = account.regenerate_recovery(db, settings=settings, actor=actor, ctx=CTX)
    db.commit()
    assert set(new).isdisjoint(confirmed.recovery_codes)
    assert not recovery.use(
        db, settings=settings, user_id=ada.id or 0, code=confirmed.recovery_codes[1]
    )
    assert recovery.use(db, settings=settings, user_id=ada.id or 0, code=new[1])
    assert "recovery.regenerated" in _kinds(engine)
    smtp_server.inbox.wait_for("ada@example.com", count=2)
    subjects = [str(m["Subject"]).lower() for m in smtp_server.inbox.to("ada@example.com")]
    assert any("recovery codes" in subject for subject in subjects), subjects
    travel(11 * 60)
    with pytest.raises(ProofNeeded):
        account.regenerate_recovery(db, settings=settings, actor=actor, ctx=CTX)


def test_one_step_of_drift_either_side_and_no_more(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    secret, _ = add_app(db, settings, ada)
    app = pyotp.TOTP(secret)
    moment = time.time()
    uid = ada.id or 0
    assert totp.check(db, settings=settings, user_id=uid, code=app.at(moment + 30)) is not None
    # Two steps ahead, or the step before the one just accepted: refused.
    assert totp.check(db, settings=settings, user_id=uid, code=app.at(moment + 90)) is None
    assert totp.check(db, settings=settings, user_id=uid, code=app.at(moment - 30)) is None


@pytest.mark.both_databases
def test_a_code_is_good_once_even_when_two_requests_race_with_it(
    engine: Engine, db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    secret, _ = add_app(db, settings, ada)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    go = threading.Barrier(4)
    wins: list[bool] = []

    def attempt() -> None:
        with Session(engine) as own:
            go.wait(5)
            won = totp.check(own, settings=settings, user_id=ada.id or 0, code=code) is not None
            own.commit()
            wins.append(won)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False, False, False, True]


def test_confirming_tries_are_paid_from_the_account_budget(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    actor = principal_of(db, ada)
    enrolment = account.start_app(db, settings=settings, actor=actor, name="Phone")
    db.commit()
    refused = 0
    with pytest.raises(RateLimited):
        for _ in range(20):
            try:
                account.confirm_app(
                    db,
                    settings=settings,
                    actor=actor,
                    factor_id=enrolment.factor_id,
                    code="123456" if pyotp.TOTP(enrolment.secret).now() != "123456" else "654321",
                    ctx=CTX,
                )
            except WrongFactorCode:
                refused += 1
    assert refused == 5


def test_removing_the_last_app_takes_the_recovery_codes_with_it(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    ada, bob = make_user(), make_user()
    add_app(db, settings, ada)
    (app,) = totp.list_apps(db, user_id=ada.id or 0)
    with pytest.raises(NotFound):
        account.remove_app(
            db, settings=settings, actor=principal_of(db, bob), factor_id=app.id, ctx=CTX
        )
    db.rollback()
    stale = principal_of(db, ada, fresh=False)
    with pytest.raises(ProofNeeded):
        account.remove_app(db, settings=settings, actor=stale, factor_id=app.id, ctx=CTX)
    db.rollback()
    account.remove_app(
        db, settings=settings, actor=principal_of(db, ada), factor_id=app.id, ctx=CTX
    )
    db.commit()
    assert totp.list_apps(db, user_id=ada.id or 0) == []
    assert recovery.left(db, user_id=ada.id or 0) == 0
    assert "factor.removed" in _kinds(engine)
