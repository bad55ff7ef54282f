"""Sudo mode: sensitive changes need a proof from the last REAUTH_MINUTES, and how to give one."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pyotp
import pytest
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import (
    InvalidCredentials,
    MethodNotAvailable,
    ProofNeeded,
    WrongCode,
    WrongFactorCode,
)
from admin_app.models import User
from admin_app.services.access import (
    api_keys,
    api_tokens,
    browser_sessions,
    fresh_proofs,
    principals,
)
from admin_app.services.access.principals import Principal
from admin_app.services.admin import manage
from admin_app.services.factors import account
from admin_app.services.signin import reauth
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD
from tests.services.test_authenticator_apps import add_app
from tests.support.smtp import SmtpServer

MakeUser = Callable[..., User]
Travel = Callable[[float], None]


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings("password")


def _signed_in(db: Session, settings: Settings, user: User) -> Principal:
    """A browser session's principal, as the pages build it."""
    row = browser_sessions.start(db, settings=settings, user_id=user.id or 0, ctx=CTX)
    db.commit()
    found = principals.principal_for_user(db, user_id=user.id or 0, stamp=None)
    return dataclasses.replace(found, proof_holder=fresh_proofs.session_holder(row.id))


def _new_key(db: Session, settings: Settings, actor: Principal) -> api_keys.CreatedKey:
    return api_keys.create(
        db, settings=settings, owner=actor, name="ci", wanted=[], expires_at=None, ctx=CTX
    )


def test_a_sign_in_is_a_proof_for_ten_minutes(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    root = make_user(admin=True)
    ada = make_user()
    me = _signed_in(db, settings, root)
    assert _new_key(db, settings, me)
    travel(9 * 60)
    assert manage.reset_link(db, actor=me, settings=settings, user_id=ada.id or 0, ctx=CTX)
    travel(2 * 60)
    stale: list[Callable[[], object]] = [
        lambda: _new_key(db, settings, me),
        lambda: manage.reset_link(db, actor=me, settings=settings, user_id=ada.id or 0, ctx=CTX),
        lambda: manage.update(
            db,
            actor=me,
            user_id=ada.id or 0,
            changes=manage.UserChanges(is_admin=True),
            ctx=CTX,
            settings=settings,
        ),
        lambda: manage.reset_factors(db, actor=me, settings=settings, user_id=ada.id or 0, ctx=CTX),
    ]
    for attempt in stale:
        with pytest.raises(ProofNeeded) as caught:
            attempt()
        assert caught.value.code == "reauthentication_required"
        db.rollback()
    # What is not sensitive still works.
    row = manage.update(
        db,
        actor=me,
        user_id=ada.id or 0,
        changes=manage.UserChanges(full_name="Ada King"),
        ctx=CTX,
        settings=settings,
    )
    assert row.full_name == "Ada King"


def test_the_window_is_a_setting(
    db: Session, mail_settings: Callable[..., Settings], make_user: MakeUser, travel: Travel
) -> None:
    settings = mail_settings("password", REAUTH_MINUTES="30")
    me = _signed_in(db, settings, make_user())
    travel(29 * 60)
    assert _new_key(db, settings, me)


def test_an_api_token_family_holds_its_own_proof(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    ada = make_user()
    pair = api_tokens.issue_pair(db, settings=settings, user=ada, ctx=CTX, method="password")
    db.commit()
    me = principals.authenticate_access(db, settings=settings, token=pair.access_token)
    assert me.proof_holder is not None and me.proof_holder.startswith("family:")
    assert _new_key(db, settings, me)
    travel(11 * 60)
    with pytest.raises(ProofNeeded):
        _new_key(db, settings, me)
    db.rollback()
    reauth.reauthenticate(
        db, settings=settings, actor=me, user=ada, method="password", password=PASSWORD, ctx=CTX
    )
    db.commit()
    assert _new_key(db, settings, me)


def test_an_api_key_needs_no_fresh_proof_and_cannot_give_one(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    root = make_user(admin=True)
    created = _new_key(db, settings, _signed_in(db, settings, root))
    db.commit()
    travel(3600)
    as_key = api_keys.authenticate(db, key=created.key)
    assert as_key.via_key and as_key.proof_holder is None
    fresh_proofs.require(db, actor=as_key)
    with pytest.raises(MethodNotAvailable):
        reauth.reauthenticate(
            db,
            settings=settings,
            actor=as_key,
            user=root,
            method="password",
            password=PASSWORD,
            ctx=CTX,
        )


def test_each_way_of_proving_it_again(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel, smtp_server: SmtpServer
) -> None:
    ada = make_user(email="ada@example.com")
    me = _signed_in(db, settings, ada)
    secret, confirmed = add_app(db, settings, ada)
    assert reauth.methods_for(db, user=ada) == ("password", "totp", "recovery", "email")

    def stale_then(method: str, proof: Callable[[], dict[str, str]]) -> None:
        travel(11 * 60)
        with pytest.raises(ProofNeeded):
            _new_key(db, settings, me)
        db.rollback()
        reauth.reauthenticate(
            db, settings=settings, actor=me, user=ada, method=method, ctx=CTX, **proof()
        )
        db.commit()
        assert _new_key(db, settings, me)
        db.commit()

    def mailed_code() -> dict[str, str]:
        smtp_server.inbox.clear()
        sent = reauth.send_code_for(db, settings=settings, user=ada, ctx=CTX)
        db.commit()
        return {
            "otp_session_id": sent.otp_session_id,
            "code": smtp_server.inbox.code_for("ada@example.com"),
        }

    stale_then("password", lambda: {"password": PASSWORD})
    # The app's clock has travelled: the code is the one of its moment.
    stale_then("totp", lambda: {"code": pyotp.TOTP(secret).at(now().timestamp())})
    stale_then("recovery", lambda: {"code": confirmed.recovery_codes[0]})
    stale_then("email", mailed_code)


def test_wrong_proofs_are_refused_and_leave_the_holder_stale(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel, smtp_server: SmtpServer
) -> None:
    ada = make_user(email="ada@example.com")
    me = _signed_in(db, settings, ada)
    secret, confirmed = add_app(db, settings, ada)
    travel(11 * 60)
    used = confirmed.recovery_codes[0]
    reauth.reauthenticate(
        db, settings=settings, actor=me, user=ada, method="recovery", code=used, ctx=CTX
    )
    db.commit()
    travel(11 * 60)
    right = pyotp.TOTP(secret).at(now().timestamp())
    wrong = "000000" if right != "000000" else "111111"
    smtp_server.inbox.clear()
    sent = reauth.send_code_for(db, settings=settings, user=ada, ctx=CTX)
    db.commit()
    code = smtp_server.inbox.code_for("ada@example.com")
    bad_code = f"{(int(code) + 1) % 10**6:06d}"
    for method, proof, error in [
        ("password", {"password": "not the password"}, InvalidCredentials),
        ("totp", {"code": wrong}, WrongFactorCode),
        ("recovery", {"code": used}, WrongFactorCode),
        ("email", {"otp_session_id": sent.otp_session_id, "code": bad_code}, WrongCode),
    ]:
        with pytest.raises(error):
            reauth.reauthenticate(
                db, settings=settings, actor=me, user=ada, method=method, ctx=CTX, **proof
            )
        db.rollback()
    with pytest.raises(ProofNeeded):
        _new_key(db, settings, me)


def test_a_method_the_user_lacks_is_not_offered(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user(password=None)
    me = _signed_in(db, settings, ada)
    assert reauth.methods_for(db, user=ada) == ("email",)
    for method in ("password", "totp", "recovery", "fingerprint"):
        with pytest.raises(MethodNotAvailable):
            reauth.reauthenticate(
                db, settings=settings, actor=me, user=ada, method=method, code="123456", ctx=CTX
            )


def test_only_a_user_the_policy_sends_to_enrol_adds_an_app_without_a_fresh_proof(
    db: Session, mail_settings: Callable[..., Settings], make_user: MakeUser, travel: Travel
) -> None:
    strict = mail_settings("password", MFA_REQUIRED="all")
    lax = mail_settings("password")
    ada = make_user()
    me = _signed_in(db, strict, ada)
    travel(11 * 60)
    # MFA_REQUIRED does not cover her: "enrolling" is no excuse.
    with pytest.raises(ProofNeeded):
        account.start_app(db, settings=lax, actor=me, name="Phone", enrolling=True)
    db.rollback()
    assert account.start_app(db, settings=strict, actor=me, name="Phone", enrolling=True)
    # Without the claim, the proof is asked for as always.
    with pytest.raises(ProofNeeded):
        account.start_app(db, settings=strict, actor=me, name="Phone")
