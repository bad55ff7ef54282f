"""Passkeys as services, with a software authenticator in the browser's place:
registration, sign-in (both factors or one), second factor, re-authentication,
and every refusal an attacker would meet."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.errors import (
    NotFound,
    PasskeyRefused,
    PasskeyRequestExpired,
    ProofNeeded,
    TooManyFactors,
)
from admin_app.models import AuditEvent, Passkey, PasskeyChallenge, RecoveryCode, User
from admin_app.services import cleanup
from admin_app.services.access import fresh_proofs
from admin_app.services.email_codes.code_step import CodeSent
from admin_app.services.factors import account, passkey_account, policy
from admin_app.services.passkeys import credentials, relying_party
from admin_app.services.signin import plan, reauth, second_step, stages, with_passkey
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD
from tests.support.db import count_rows, principal_of
from tests.support.smtp import SmtpServer
from tests.support.soft_authenticator import SoftAuthenticator

MakeUser = Callable[..., User]
Travel = Callable[[float], None]


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings("password")


def add_passkey(
    db: Session,
    settings: Settings,
    user: User,
    device: SoftAuthenticator,
    name: str = "Laptop",
    *,
    user_verified: bool = True,
) -> passkey_account.Added:
    """A passkey added as a user would from /profile: options, the device, then kept."""
    actor = principal_of(db, user)
    options = passkey_account.start_adding(db, settings=settings, actor=actor, name=name)
    db.commit()
    answer = device.register(options.options_json, user_verified=user_verified)
    added = passkey_account.finish_adding(
        db, settings=settings, actor=actor, credential=answer, ctx=CTX
    )
    db.commit()
    return added


def sign_in(
    db: Session, settings: Settings, device: SoftAuthenticator, **answer: object
) -> User | CodeSent:
    options = with_passkey.options(db, settings=settings, ctx=CTX)
    db.commit()
    credential = device.authenticate(options.options_json, **answer)  # type: ignore[arg-type]
    outcome = with_passkey.sign_in(
        db, settings=settings, attempt_id=options.attempt_id, credential=credential, ctx=CTX
    )
    db.commit()
    return outcome


def _kinds(engine: Engine) -> list[str]:
    with Session(engine) as fresh:
        return list(fresh.execute(sa.select(AuditEvent.kind).order_by(AuditEvent.id)).scalars())


def test_a_registered_passkey_signs_in_without_a_username(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    device = SoftAuthenticator()
    added = add_passkey(db, settings, ada, device)
    assert added.passkey.name == "Laptop" and len(added.recovery_codes) == 10
    row = db.exec(sa.select(Passkey)).scalars().one()  # type: ignore[call-overload]
    assert row.user_id == ada.id and row.sign_count == 0
    # The user handle says nothing about the account.
    assert device.credentials[0].user_handle == relying_party.user_handle(settings, ada.id or 0)
    assert str(ada.id).encode() not in device.credentials[0].user_handle

    signed_in = sign_in(db, settings, device)
    assert isinstance(signed_in, User) and signed_in.id == ada.id
    db.refresh(row)
    assert row.sign_count == 1 and row.last_used_at is not None
    assert "factor.added" in _kinds(engine) and "passkey.used" in _kinds(engine)


def test_options_name_the_relying_party_of_app_url(
    db: Session, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(APP_URL="https://admin.example.com:8443")
    options = with_passkey.options(db, settings=settings, ctx=CTX)
    assert '"rpId":"admin.example.com"' in options.options_json.replace(" ", "")
    assert '"userVerification":"preferred"' in options.options_json.replace(" ", "")
    assert relying_party.of(settings).origin == "https://admin.example.com:8443"


@pytest.mark.parametrize(
    ("mode", "verified", "left"),
    [
        ("password", True, None),
        ("password", False, None),
        ("password+otp", True, None),
        ("password+otp", False, ("email",)),
        ("otp", True, None),
        ("otp", False, None),
    ],
)
def test_a_verified_passkey_is_both_factors_an_unverified_one_is_one(
    db: Session,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
    mode: str,
    verified: bool,
    left: tuple[str, ...] | None,
) -> None:
    settings = mail_settings(mode)
    ada = make_user(settings=settings)
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    outcome = sign_in(db, settings, device, user_verified=verified)
    if left is None:
        assert isinstance(outcome, User)
    else:
        assert isinstance(outcome, CodeSent) and outcome.methods == left


def test_an_unverified_passkey_is_followed_by_the_users_app(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    from tests.services.test_authenticator_apps import add_app

    ada = make_user()
    add_app(db, settings, ada)
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    outcome = sign_in(db, settings, device, user_verified=False)
    # The passkey is not offered again for its own second step.
    assert isinstance(outcome, CodeSent) and outcome.methods == ("totp", "recovery")


def test_email_code_always_keeps_the_code_after_a_verified_passkey(
    db: Session, mail_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    settings = mail_settings("password+otp", EMAIL_CODE_ALWAYS="true")
    ada = make_user(settings=settings)
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    outcome = sign_in(db, settings, device)
    assert isinstance(outcome, CodeSent) and outcome.methods == ("email",)


def test_a_passkey_is_a_second_factor_after_the_password(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user(username="ada")
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    step = stages.begin(db, settings=settings, identifier="ada", password=PASSWORD, ctx=CTX)
    db.commit()
    assert isinstance(step, CodeSent) and step.methods == ("passkey", "recovery")
    options = second_step.passkey_options(db, settings=settings, otp_session_id=step.otp_session_id)
    db.commit()
    # Only this user's passkeys are allowed.
    assert device.credentials[0].id_b64 in options.options_json
    answer = device.authenticate(options.options_json)
    done = stages.complete(
        db,
        settings=settings,
        otp_session_id=step.otp_session_id,
        code=answer,
        ctx=CTX,
        method="passkey",
    )
    assert isinstance(done, User) and done.id == ada.id


def test_a_factor_steps_challenge_is_bound_to_that_step(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user(username="ada")
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)

    def step() -> CodeSent:
        found = stages.begin(db, settings=settings, identifier="ada", password=PASSWORD, ctx=CTX)
        db.commit()
        assert isinstance(found, CodeSent)
        return found

    first, second = step(), step()
    options = second_step.passkey_options(
        db, settings=settings, otp_session_id=first.otp_session_id
    )
    db.commit()
    answer = device.authenticate(options.options_json)
    # The answer to the first step's challenge does not meet the second step.
    with pytest.raises(PasskeyRequestExpired):
        stages.complete(
            db,
            settings=settings,
            otp_session_id=second.otp_session_id,
            code=answer,
            ctx=CTX,
            method="passkey",
        )


def test_a_replayed_answer_is_refused(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    options = with_passkey.options(db, settings=settings, ctx=CTX)
    db.commit()
    answer = device.authenticate(options.options_json)
    assert isinstance(
        with_passkey.sign_in(
            db, settings=settings, attempt_id=options.attempt_id, credential=answer, ctx=CTX
        ),
        User,
    )
    db.commit()
    with pytest.raises(PasskeyRequestExpired):
        with_passkey.sign_in(
            db, settings=settings, attempt_id=options.attempt_id, credential=answer, ctx=CTX
        )


@pytest.mark.both_databases
def test_one_answer_racing_four_times_signs_in_once(
    engine: Engine, db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    options = with_passkey.options(db, settings=settings, ctx=CTX)
    db.commit()
    answer = device.authenticate(options.options_json)
    go = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt() -> None:
        with Session(engine, expire_on_commit=False) as own:
            go.wait(5)
            try:
                with_passkey.sign_in(
                    own,
                    settings=settings,
                    attempt_id=options.attempt_id,
                    credential=answer,
                    ctx=CTX,
                )
                own.commit()
                outcomes.append("signed in")
            except (PasskeyRequestExpired, PasskeyRefused) as exc:
                outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("signed in") == 1 and len(outcomes) == 4


@pytest.mark.both_databases
def test_two_answers_with_one_counter_value_sign_in_once(
    engine: Engine, db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    copy = device.clone()
    first, second = (
        with_passkey.options(db, settings=settings, ctx=CTX),
        with_passkey.options(db, settings=settings, ctx=CTX),
    )
    db.commit()
    # The device and its copy both sign with counter 1, each its own challenge.
    answers = [
        (first.attempt_id, device.authenticate(first.options_json)),
        (second.attempt_id, copy.authenticate(second.options_json)),
    ]
    go = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(attempt_id: str, answer: str) -> None:
        with Session(engine, expire_on_commit=False) as own:
            go.wait(5)
            try:
                with_passkey.sign_in(
                    own, settings=settings, attempt_id=attempt_id, credential=answer, ctx=CTX
                )
                own.commit()
                outcomes.append("signed in")
            except PasskeyRefused as exc:
                outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["passkey_refused", "signed in"]
    assert "passkey.clone_warning" in _kinds(engine)


def test_another_attempts_answer_is_refused(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    mine = with_passkey.options(db, settings=settings, ctx=CTX)
    theirs = with_passkey.options(db, settings=settings, ctx=CTX)
    db.commit()
    answer = device.authenticate(theirs.options_json)
    with pytest.raises(PasskeyRequestExpired):
        with_passkey.sign_in(
            db, settings=settings, attempt_id=mine.attempt_id, credential=answer, ctx=CTX
        )


def test_a_challenge_lasts_two_minutes(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    ada = make_user()
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    options = with_passkey.options(db, settings=settings, ctx=CTX)
    db.commit()
    answer = device.authenticate(options.options_json)
    travel(121)
    with pytest.raises(PasskeyRequestExpired):
        with_passkey.sign_in(
            db, settings=settings, attempt_id=options.attempt_id, credential=answer, ctx=CTX
        )
    db.rollback()
    travel(11 * 60)
    removed = cleanup.run(db, audit_retention_days=30)
    assert removed.passkey_challenges >= 1
    assert count_rows(db, PasskeyChallenge) == 0


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ({"origin": "https://evil.example"}, "client data origin"),
        ({"rp_id": "evil.example"}, "rp id hash"),
        ({"user_handle": b"x" * 32}, "user_handle"),
    ],
)
def test_a_phished_or_forged_answer_is_refused_and_audited(
    db: Session,
    engine: Engine,
    settings: Settings,
    make_user: MakeUser,
    attack: dict[str, object],
    reason: str,
) -> None:
    ada = make_user()
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    options = with_passkey.options(db, settings=settings, ctx=CTX)
    db.commit()
    answer = device.authenticate(
        options.options_json,
        credential_id=device.credentials[0].credential_id,
        **attack,  # type: ignore[arg-type]
    )
    with pytest.raises(PasskeyRefused):
        with_passkey.sign_in(
            db, settings=settings, attempt_id=options.attempt_id, credential=answer, ctx=CTX
        )
    with Session(engine) as fresh:
        last = fresh.execute(sa.select(AuditEvent).order_by(sa.desc(AuditEvent.id))).scalar()
    assert last is not None and last.kind == "passkey.refused"
    assert reason in last.detail.lower()


def test_a_removed_passkey_or_a_disabled_user_stops_at_once(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada, bob = make_user(), make_user()
    ada_device, bob_device = SoftAuthenticator(), SoftAuthenticator()
    add_passkey(db, settings, ada, ada_device)
    add_passkey(db, settings, bob, bob_device)
    # The options were made while it still existed.
    options = with_passkey.options(db, settings=settings, ctx=CTX)
    db.commit()
    answer = ada_device.authenticate(options.options_json)
    passkey_id = credentials.list_for(db, user_id=ada.id or 0)[0].id
    passkey_account.remove(
        db, settings=settings, actor=principal_of(db, ada), passkey_id=passkey_id, ctx=CTX
    )
    db.commit()
    with pytest.raises(PasskeyRefused):
        with_passkey.sign_in(
            db, settings=settings, attempt_id=options.attempt_id, credential=answer, ctx=CTX
        )
    db.rollback()
    # The last strong factor gone, the recovery codes went with it.
    assert (
        db.execute(
            sa.select(sa.func.count()).where(RecoveryCode.user_id == ada.id)  # type: ignore[arg-type]
        ).scalar_one()
        == 0
    )
    bob.is_active = False
    db.add(bob)
    db.commit()
    with pytest.raises(PasskeyRefused):
        sign_in(db, settings, bob_device)


def test_a_copied_authenticator_is_refused_audited_and_mailed(
    db: Session,
    engine: Engine,
    settings: Settings,
    make_user: MakeUser,
    smtp_server: SmtpServer,
) -> None:
    ada = make_user(email="ada@example.com")
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    copy = device.clone()
    assert isinstance(sign_in(db, settings, device), User)
    assert isinstance(sign_in(db, settings, device), User)
    # The copy's counter (1) is behind the passkey's (2).
    with pytest.raises(PasskeyRefused):
        sign_in(db, settings, copy)
    assert "passkey.clone_warning" in _kinds(engine)
    # The first mail said the passkey was added; the second warns of the copy.
    mail = smtp_server.inbox.wait_for("ada@example.com", count=2)
    assert "copy of your passkey" in str(mail["Subject"])
    assert "Laptop" in smtp_server.inbox.text(mail)


def test_passkeys_need_a_fresh_proof_and_are_capped(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    with pytest.raises(ProofNeeded):
        passkey_account.start_adding(
            db, settings=settings, actor=principal_of(db, ada, fresh=False), name="Laptop"
        )
    for n in range(credentials.MAX_PASSKEYS):
        add_passkey(db, settings, ada, SoftAuthenticator(), name=f"Key {n}")
    with pytest.raises(TooManyFactors):
        passkey_account.start_adding(
            db, settings=settings, actor=principal_of(db, ada), name="One more"
        )
    with pytest.raises(NotFound):
        passkey_account.remove(
            db, settings=settings, actor=principal_of(db, make_user()), passkey_id=1, ctx=CTX
        )


def test_registration_is_bound_to_the_asking_session(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user()
    device = SoftAuthenticator()
    options = passkey_account.start_adding(
        db, settings=settings, actor=principal_of(db, ada), name="Laptop"
    )
    db.commit()
    answer = device.register(options.options_json)
    # Another session of the same user (another holder) cannot finish it.
    with pytest.raises(PasskeyRequestExpired):
        passkey_account.finish_adding(
            db, settings=settings, actor=principal_of(db, ada), credential=answer, ctx=CTX
        )
    # A registration from another origin is refused.
    actor = principal_of(db, ada)
    options = passkey_account.start_adding(db, settings=settings, actor=actor, name="Laptop")
    db.commit()
    phished = device.register(options.options_json, origin="https://evil.example")
    with pytest.raises(PasskeyRefused):
        passkey_account.finish_adding(
            db, settings=settings, actor=actor, credential=phished, ctx=CTX
        )


def test_a_passkey_meets_the_mfa_policy_and_reauthenticates(
    db: Session,
    engine: Engine,
    mail_settings: Callable[..., Settings],
    make_user: MakeUser,
) -> None:
    settings = mail_settings("password", MFA_REQUIRED="all")
    ada = make_user(settings=settings)
    assert policy.enrolment_due(db, settings=settings, user=ada)
    device = SoftAuthenticator()
    actor = principal_of(db, ada, fresh=False)
    # Enrolling (the policy's own page) needs no fresh proof.
    options = passkey_account.start_adding(
        db, settings=settings, actor=actor, name="Laptop", enrolling=True
    )
    db.commit()
    passkey_account.finish_adding(
        db,
        settings=settings,
        actor=actor,
        credential=device.register(options.options_json),
        ctx=CTX,
    )
    db.commit()
    assert not policy.enrolment_due(db, settings=settings, user=ada)
    assert account.overview(db, user=ada).has_strong
    assert "passkey" in reauth.methods_for(db, user=ada)

    assert not fresh_proofs.is_fresh(db, holder=actor.proof_holder, user_id=ada.id or 0)
    options = reauth.passkey_options(db, settings=settings, actor=actor, user=ada)
    db.commit()
    reauth.reauthenticate(
        db,
        settings=settings,
        actor=actor,
        user=ada,
        method="passkey",
        ctx=CTX,
        code=device.authenticate(options.options_json),
    )
    db.commit()
    assert fresh_proofs.is_fresh(db, holder=actor.proof_holder, user_id=ada.id or 0)
    assert "reauth.succeeded" in _kinds(engine)


def test_plan_offers_the_passkey_beside_the_app() -> None:
    assert plan.strong_methods(has_app=True, has_passkey=True) == ("totp", "passkey", "recovery")
    assert plan.strong_methods(has_app=False, has_passkey=True) == ("passkey", "recovery")
    assert plan.strong_methods(has_app=False, has_passkey=False) == ()


def test_admins_see_a_users_passkeys_and_a_reset_removes_them(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    from admin_app.services.admin import directory

    admin, ada = make_user(admin=True), make_user(username="ada")
    device = SoftAuthenticator()
    add_passkey(db, settings, ada, device)
    add_passkey(db, settings, ada, SoftAuthenticator(), name="Phone")
    row = directory.search(db, actor=principal_of(db, admin), query="ada").items[0]
    assert (row.passkeys, row.recovery_codes_left) == (2, 10)
    account.reset_all(db, settings=settings, user=ada, ctx=CTX, actor_id=admin.id)
    db.commit()
    assert count_rows(engine, Passkey) == 0
    with pytest.raises(PasskeyRefused):
        sign_in(db, settings, device)


def test_a_network_gets_120_sign_in_options_a_minute(
    db: Session, settings: Settings, travel: Travel
) -> None:
    from admin_app.errors import RateLimited
    from admin_app.services.request_context import RequestContext

    for _ in range(with_passkey.OPTIONS_PER_MINUTE):
        with_passkey.options(db, settings=settings, ctx=CTX)
    db.commit()
    with pytest.raises(RateLimited):
        with_passkey.options(db, settings=settings, ctx=CTX)
    db.rollback()
    # Another network is not held up, and a minute later this one may ask again.
    with_passkey.options(db, settings=settings, ctx=RequestContext(ip="192.0.2.99"))
    travel(61)
    with_passkey.options(db, settings=settings, ctx=CTX)
