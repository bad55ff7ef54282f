"""OAuth identities to users (SPEC 4): link, verified-email match, the nOAuth refusal, sign-up."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app.api.errors import status_of
from admin_app.errors import (
    AccountDisabled,
    CannotUnlink,
    EmailNotVerified,
    SignsInAnotherWay,
    SignupDisabled,
)
from admin_app.models import AuditEvent, OAuthAccount, User
from admin_app.services.signin import identities
from admin_app.services.signin.identities import ProviderIdentity
from admin_app.settings import Settings
from tests.conftest import CTX

MakeUser = Callable[..., User]


def _github(
    subject: str = "583231",
    *,
    login: str | None = "octocat",
    email: str | None = "mona@example.com",
    verified: bool = True,
    name: str = "Mona Lisa Octocat",
) -> ProviderIdentity:
    return ProviderIdentity(
        provider="github",
        subject=subject,
        email=email,
        email_verified=verified,
        full_name=name,
        login=login,
    )


def _oidc(
    provider: str, subject: str, email: str | None, *, verified: bool, name: str = "Ada Lovelace"
) -> ProviderIdentity:
    return ProviderIdentity(
        provider=provider, subject=subject, email=email, email_verified=verified, full_name=name
    )


def _resolve(db: Session, settings: Settings, identity: ProviderIdentity) -> User:
    user = identities.resolve(db, settings=settings, identity=identity, ctx=CTX)
    db.commit()
    return user


def _users(engine: Engine) -> list[User]:
    with Session(engine) as fresh:
        return list(fresh.exec(select(User).order_by(col(User.id))).all())


def _links(engine: Engine) -> list[tuple[str, str, int, str | None]]:
    with Session(engine) as fresh:
        rows = fresh.exec(select(OAuthAccount).order_by(col(OAuthAccount.id))).all()
        return [(r.provider, r.subject, r.user_id, r.email) for r in rows]


def _events(engine: Engine, kind: str) -> list[AuditEvent]:
    with Session(engine) as fresh:
        query = select(AuditEvent).where(AuditEvent.kind == kind).order_by(col(AuditEvent.id))
        return list(fresh.exec(query).all())


# First sign-in: a new account.


def test_first_sign_in_creates_the_account_and_the_link(
    db: Session, engine: Engine, settings: Settings
) -> None:
    user = _resolve(db, settings, _github(email="Mona@Example.COM"))
    [stored] = _users(engine)
    assert stored.id == user.id
    assert (stored.username, stored.full_name, stored.email) == (
        "octocat",
        "Mona Lisa Octocat",
        "mona@example.com",
    )
    assert stored.password_hash is None
    assert stored.is_active and not stored.mfa_enabled
    # the link keeps the address as the provider gave it
    assert _links(engine) == [("github", "583231", user.id, "Mona@Example.COM")]
    [linked] = _events(engine, "oauth.linked")
    assert linked.user_id == user.id and json.loads(linked.detail) == {"provider": "github"}
    [signed_up] = _events(engine, "signup.completed")
    assert signed_up.user_id == user.id


def test_username_comes_from_the_email_when_there_is_no_login(
    db: Session, engine: Engine, settings: Settings
) -> None:
    user = _resolve(
        db, settings, _oidc("google", "g-1", "jane.doe+news@example.com", verified=True)
    )
    assert user.username == "jane.doenews"
    assert user.full_name == "Ada Lovelace"
    assert _links(engine) == [("google", "g-1", user.id, "jane.doe+news@example.com")]


@pytest.mark.both_databases
def test_usernames_are_made_unique_case_insensitively(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    make_user(username="OctoCat", email="someone@example.com")
    make_user(username="jane", email="jane@elsewhere.example")
    second = _resolve(db, settings, _github("1", email="a@example.com"))
    third = _resolve(db, settings, _github("2", email="b@example.com"))
    jane = _resolve(db, settings, _oidc("google", "g-2", "jane@example.com", verified=True))
    assert (second.username, third.username, jane.username) == ("octocat2", "octocat3", "jane2")
    assert len(_users(engine)) == 5


def test_a_short_or_odd_seed_still_gives_a_valid_username(db: Session, settings: Settings) -> None:
    short = _resolve(db, settings, _oidc("google", "g-3", "al@example.com", verified=True))
    odd = _resolve(db, settings, _oidc("microsoft", "m-3", "_x@example.com", verified=True))
    assert (short.username, odd.username) == ("useral", "user_x")


def test_the_full_name_falls_back_to_the_login(db: Session, settings: Settings) -> None:
    user = _resolve(db, settings, _github(name="  "))
    assert user.full_name == "octocat"


# Later sign-ins: the link wins.


def test_the_same_provider_account_signs_in_again_even_with_another_email(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    first = _resolve(db, settings, _github(email="mona@example.com"))
    other = make_user(email="someone-else@example.com")
    for email in ("mona@new.example", "someone-else@example.com", None):
        again = _resolve(db, settings, _github(email=email, verified=email is not None))
        assert again.id == first.id, email
    assert [u.id for u in _users(engine)] == [first.id, other.id]
    assert len(_links(engine)) == 1


@pytest.mark.both_databases
def test_a_verified_email_links_the_existing_account(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    existing = make_user(email="ada@example.com")
    user = _resolve(db, settings, _oidc("google", "g-ada", "ADA@example.com", verified=True))
    assert user.id == existing.id
    assert user.password_hash == existing.password_hash is not None
    assert len(_users(engine)) == 1
    assert _links(engine) == [("google", "g-ada", existing.id, "ADA@example.com")]
    # and from then on the link alone finds it
    again = _resolve(db, settings, _oidc("google", "g-ada", None, verified=False))
    assert again.id == existing.id


# nOAuth: an email the provider does not vouch for opens nothing.


@pytest.mark.both_databases
def test_an_unverified_email_of_a_password_account_is_refused_saying_how_it_signs_in(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    victim = make_user(email="victim@example.com")
    identity = _oidc("microsoft", "attacker-tenant-sub", "Victim@Example.com", verified=False)
    with pytest.raises(SignsInAnotherWay) as refused:
        identities.resolve(db, settings=settings, identity=identity, ctx=CTX)
    db.rollback()
    assert refused.value.code == "account_exists"
    assert status_of(refused.value) == 409
    assert "signs in with a password" in refused.value.message
    assert "Microsoft did not confirm" in refused.value.message
    assert _links(engine) == []
    assert [u.id for u in _users(engine)] == [victim.id]
    [event] = _events(engine, "oauth.refused")
    assert event.user_id == victim.id
    assert json.loads(event.detail) == {"provider": "microsoft", "reason": "email_not_verified"}


def test_an_unverified_email_of_a_github_account_names_github(
    db: Session, engine: Engine, settings: Settings
) -> None:
    owner = _resolve(db, settings, _github(email="mona@example.com"))
    identity = _oidc("microsoft", "m-evil", "mona@example.com", verified=False)
    with pytest.raises(SignsInAnotherWay) as refused:
        identities.resolve(db, settings=settings, identity=identity, ctx=CTX)
    db.rollback()
    assert "signs in with GitHub." in refused.value.message
    assert "password" not in refused.value.message
    assert _links(engine) == [("github", "583231", owner.id, "mona@example.com")]


def test_how_an_account_signs_in_follows_the_mode(
    db: Session, make_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    user = make_user(email="both@example.com")
    password = make_settings(AUTH_MODE="password")
    assert _resolve(db, password, _github(email="both@example.com")).id == user.id
    otp = make_settings(AUTH_MODE="otp")
    methods = identities.sign_in_methods(db, settings=password, user=user)
    assert methods == ["password", "github"]
    assert identities.sign_in_methods(db, settings=otp, user=user) == ["email_code", "github"]
    assert identities.how_it_signs_in(db, settings=password, user=user) == "a password or GitHub"
    assert (
        identities.how_it_signs_in(db, settings=otp, user=user) == "a code sent by email or GitHub"
    )


def test_an_unverified_email_without_an_account_creates_nothing(
    db: Session, engine: Engine, settings: Settings
) -> None:
    for identity in (
        _oidc("microsoft", "m-1", "new@example.com", verified=False),
        _github(email=None, verified=False),
    ):
        with pytest.raises(EmailNotVerified) as refused:
            identities.resolve(db, settings=settings, identity=identity, ctx=CTX)
        db.rollback()
        assert refused.value.code == "email_not_verified"
    assert _users(engine) == []
    assert _links(engine) == []


# SIGNUP_ENABLED=false


def test_without_sign_up_no_account_is_created_but_known_ones_get_in(
    db: Session, engine: Engine, make_settings: Callable[..., Settings], make_user: MakeUser
) -> None:
    open_settings = make_settings()
    closed = make_settings(SIGNUP_ENABLED="false")
    linked = _resolve(db, open_settings, _github("7", email="linked@example.com"))
    matched = make_user(email="matched@example.com")

    with pytest.raises(SignupDisabled) as refused:
        identities.resolve(db, settings=closed, identity=_github("8", login="newbie"), ctx=CTX)
    db.rollback()
    assert refused.value.code == "signup_disabled"
    assert "GitHub" in refused.value.message

    assert _resolve(db, closed, _github("7", email="linked@example.com")).id == linked.id
    by_email = _oidc("google", "g-m", "matched@example.com", verified=True)
    assert _resolve(db, closed, by_email).id == matched.id
    assert [u.id for u in _users(engine)] == [linked.id, matched.id]
    assert sorted((p, s) for p, s, _, _ in _links(engine)) == [("github", "7"), ("google", "g-m")]


# Disabled accounts


def test_a_disabled_account_does_not_get_in_by_link_or_by_email(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    linked = _resolve(db, settings, _github("9", email="gone@example.com"))
    linked.is_active = False
    db.add(linked)
    db.commit()
    make_user(email="off@example.com", active=False)
    with pytest.raises(AccountDisabled):
        identities.resolve(db, settings=settings, identity=_github("9"), ctx=CTX)
    db.rollback()
    with pytest.raises(AccountDisabled):
        identities.resolve(
            db,
            settings=settings,
            identity=_oidc("google", "g-off", "off@example.com", verified=True),
            ctx=CTX,
        )
    db.rollback()
    assert [(p, s) for p, s, _, _ in _links(engine)] == [("github", "9")]


# Unlink


def test_unlink_when_a_password_remains(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(email="pw@example.com")
    _resolve(db, settings, _oidc("google", "g-pw", "pw@example.com", verified=True))
    identities.unlink(db, settings=settings, user=user, provider="google", ctx=CTX)
    db.commit()
    assert _links(engine) == []
    assert identities.linked(db, user_id=user.id or 0) == []
    [event] = _events(engine, "oauth.unlinked")
    assert event.user_id == user.id and json.loads(event.detail) == {"provider": "google"}


def test_unlink_keeps_the_last_way_in(db: Session, engine: Engine, settings: Settings) -> None:
    user = _resolve(db, settings, _github("11", email="only@example.com"))
    assert user.password_hash is None and settings.auth_mode == "password"
    with pytest.raises(CannotUnlink) as refused:
        identities.unlink(db, settings=settings, user=user, provider="github", ctx=CTX)
    db.rollback()
    assert refused.value.code == "last_sign_in_method"
    assert _links(engine) == [("github", "11", user.id, "only@example.com")]
    assert _events(engine, "oauth.unlinked") == []

    # with a second provider, either can go, but not both
    _resolve(db, settings, _oidc("microsoft", "m-11", "only@example.com", verified=True))
    identities.unlink(db, settings=settings, user=user, provider="github", ctx=CTX)
    db.commit()
    with pytest.raises(CannotUnlink):
        identities.unlink(db, settings=settings, user=user, provider="microsoft", ctx=CTX)
    db.rollback()
    assert [(p, s) for p, s, _, _ in _links(engine)] == [("microsoft", "m-11")]


def test_in_otp_mode_the_mailbox_is_a_way_in(
    db: Session, engine: Engine, make_settings: Callable[..., Settings]
) -> None:
    otp = make_settings(AUTH_MODE="otp")
    user = _resolve(db, otp, _github("12", email="mail@example.com"))
    identities.unlink(db, settings=otp, user=user, provider="github", ctx=CTX)
    db.commit()
    assert _links(engine) == []
