"""argon2id hashing and the password policy (SPEC section 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from admin_app.errors import WeakPassword
from admin_app.security.passwords import MAX_LENGTH, Passwords, check_policy
from admin_app.services.accounts.hasher import passwords
from admin_app.settings import load_settings

OWASP = {"memory_kib": 19 * 1024, "time_cost": 2, "parallelism": 1}
GOOD = "violet tractor sings under the quiet moon"


@pytest.fixture(scope="module")
def hasher() -> Passwords:
    return Passwords(**OWASP)


# Hashing


def test_hash_is_argon2id_with_the_configured_cost(hasher: Passwords) -> None:
    hashed = hasher.hash(GOOD)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert GOOD not in hashed


def test_the_default_settings_hash_and_verify_at_the_default_cost(tmp_path: Path) -> None:
    # The real path at the product's defaults (the other tests' fixtures use a cheap cost):
    # settings without ARGON2_* variables, and the process's hasher built from them.
    settings = load_settings({"DATA_DIR": str(tmp_path), "JWT_SECRET": "s" * 40})
    hashed = passwords(settings).hash(GOOD)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords(settings).verify(hashed, GOOD) is True
    assert passwords(settings).verify(hashed, GOOD + "!") is False
    assert passwords(settings).needs_rehash(hashed) is False


def test_each_hash_has_its_own_salt(hasher: Passwords) -> None:
    assert hasher.hash(GOOD) != hasher.hash(GOOD)


def test_verify_accepts_the_password_and_refuses_others(hasher: Passwords) -> None:
    hashed = hasher.hash(GOOD)
    assert hasher.verify(hashed, GOOD) is True
    assert hasher.verify(hashed, GOOD + " ") is False
    assert hasher.verify(hashed, GOOD.upper()) is False
    assert hasher.verify(hashed, "") is False


def test_verify_of_a_garbage_hash_is_false(hasher: Passwords) -> None:
    assert hasher.verify("not-a-hash", GOOD) is False
    assert hasher.verify("", GOOD) is False


def test_verify_without_a_hash_is_false_even_for_the_dummy_password(hasher: Passwords) -> None:
    # The dummy hash is only there to spend the time; it must never match.
    assert hasher.verify(None, GOOD) is False
    assert hasher.verify(None, "dummy password for timing equality") is False


def test_needs_rehash_only_when_the_cost_changes(hasher: Passwords) -> None:
    hashed = hasher.hash(GOOD)
    assert hasher.needs_rehash(hashed) is False
    for change in ({"memory_kib": 8 * 1024}, {"time_cost": 3}, {"parallelism": 2}):
        other = Passwords(**{**OWASP, **change})
        assert other.needs_rehash(hashed) is True
        assert other.verify(hashed, GOOD) is True  # an old hash still signs in


def test_passwords_are_nfkc_normalised(hasher: Passwords) -> None:
    fullwidth = "ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ"
    ascii_form = "correct horse battery"
    assert hasher.verify(hasher.hash(fullwidth), ascii_form) is True
    assert hasher.verify(hasher.hash(ascii_form), fullwidth) is True
    # Composed and decomposed accents are the same password.
    assert hasher.verify(hasher.hash("caf\u00e9 au lait le matin"), "cafe\u0301 au lait le matin")


# Policy


def test_minimum_length_is_the_setting() -> None:
    with pytest.raises(WeakPassword) as refused:
        check_policy("x7q!mzp2wkd", min_length=12)
    assert "12" in refused.value.message
    assert refused.value.field == "password"
    assert refused.value.code == "weak_password"
    check_policy("x7q!mzp2wkdv", min_length=12)
    with pytest.raises(WeakPassword):
        check_policy("x7q!mzp2wkdv", min_length=13)


def test_maximum_length_is_1024() -> None:
    assert MAX_LENGTH == 1024
    check_policy("ab" * 512, min_length=12)
    with pytest.raises(WeakPassword) as refused:
        check_policy("ab" * 512 + "c", min_length=12)
    assert "1024" in refused.value.message


@pytest.mark.parametrize(
    "password",
    [
        "qwerty123456",
        "QWERTY123456",
        "QwErTy123456",
        "ｑｗｅｒｔｙ１２３４５６",  # fullwidth: NFKC makes it the listed one
        "password",
        "Password1",
    ],
)
def test_common_passwords_are_refused_in_any_case(password: str) -> None:
    with pytest.raises(WeakPassword, match="common"):
        check_policy(password, min_length=8)


@pytest.mark.parametrize(
    "password",
    ["ada.lovelace", "ADA.LOVELACE", "ada.lovelace@example.com", "Ada.Lovelace@Example.com"],
)
def test_password_equal_to_username_or_email_is_refused(password: str) -> None:
    with pytest.raises(WeakPassword, match="differ"):
        check_policy(
            password,
            min_length=12,
            username="ada.lovelace",
            email="ada.lovelace@example.com",
        )


def test_password_equal_to_email_local_part_is_refused() -> None:
    with pytest.raises(WeakPassword, match="differ"):
        check_policy(
            "countess.of.lovelace",
            min_length=12,
            username="ada",
            email="Countess.Of.Lovelace@example.com",
        )


def test_a_password_containing_the_username_is_not_equal_to_it() -> None:
    check_policy("ada.lovelace writes code", min_length=12, username="ada.lovelace")


def test_empty_personal_values_refuse_nothing() -> None:
    check_policy(GOOD, min_length=12, username="", email="")


@pytest.mark.parametrize(
    "password",
    [
        GOOD,
        "zqxvbnmlkjhgfw",  # lower case only
        "739184620573918",  # digits only
        "ZQXVBNMLKJHGFW",  # upper case only
        "correct horse battery staple ünïcödé 🐎",
    ],
)
def test_good_passwords_pass_without_composition_rules(password: str) -> None:
    check_policy(password, min_length=12, username="ada", email="ada@example.com")
