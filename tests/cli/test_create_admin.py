"""`python -m admin_app create-admin`, answered at the prompts or given by flags."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from admin_app.security.passwords import _common_passwords
from tests.cli.conftest import DB_NAME, HASHER, Cli, Db, error_line, lines, run_cli

PASSWORD = "a long and private phrase"
Prompted = tuple[subprocess.CompletedProcess[str], Db]


@pytest.fixture(scope="module")
def prompted(tmp_path_factory: pytest.TempPathFactory) -> Prompted:
    """One create-admin on a first install, every value typed at the prompts.

    A real process at the default argon2id cost: no ARGON2_* variable is set.
    """
    data_dir = tmp_path_factory.mktemp("prompted")
    result = run_cli(
        data_dir,
        "create-admin",
        answers=lines("grace", "Grace Hopper", "grace@example.com", PASSWORD, PASSWORD),
        default_argon2=True,
    )
    return result, Db(data_dir / DB_NAME)


def test_prompts_create_an_admin_on_a_first_install(prompted: Prompted) -> None:
    result, db = prompted
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Created admin grace <grace@example.com>.\n"
    user = db.user("grace")
    assert (user["full_name"], user["email"], user["is_active"]) == (
        "Grace Hopper",
        "grace@example.com",
        1,
    )
    assert db.roles("grace") == ["Admin", "User"]


def test_prompts_ask_for_each_value_in_turn(prompted: Prompted) -> None:
    result, _ = prompted
    assert result.stderr == "Username: \nFull name: \nEmail: \nPassword: \nPassword (again): \n"


def test_password_is_stored_as_an_argon2id_hash(prompted: Prompted) -> None:
    _, db = prompted
    stored = db.user("grace")["password_hash"]
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored
    assert HASHER.verify(stored, PASSWORD)
    assert not HASHER.verify(stored, PASSWORD + "!")


def test_creation_is_audited(prompted: Prompted) -> None:
    _, db = prompted
    (event,) = db.audit("user.created")
    assert event["user_id"] == db.user("grace")["id"]
    assert event["ip"] == "cli"


def test_flags_and_password_on_stdin_create_an_admin_without_prompting(
    cli: Cli, seeded_dir: Path, seeded_db: Db
) -> None:
    result = cli(
        seeded_dir,
        "create-admin",
        "--email",
        "Grace@Example.com",
        "--username",
        "grace",
        "--full-name",
        "Grace  Hopper",
        "--password-stdin",
        answers=lines(PASSWORD),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == "Created admin grace <grace@example.com>.\n"
    assert seeded_db.usernames() == ["ada", "bob", "grace"]
    assert seeded_db.user("grace")["full_name"] == "Grace Hopper"
    assert seeded_db.roles("grace") == ["Admin", "User"]
    assert HASHER.verify(seeded_db.user("grace")["password_hash"], PASSWORD)


def test_password1234_is_on_the_shipped_common_list() -> None:
    # The refusal below relies on it.
    assert "password1234" in _common_passwords()


# The template database already holds `ada` <ada@example.com> and `bob`.
REFUSED = {
    "invalid email": (["--email", "grace.example.com"], PASSWORD, "@-sign"),
    "username with a space": (["--username", "grace hopper"], PASSWORD, "Usernames are"),
    "username taken in another case": (["--username", "Ada"], PASSWORD, "username is taken"),
    "email taken in another case": (["--email", "ADA@Example.COM"], PASSWORD, "already exists"),
    "password of 11 characters": ([], "eleven char", "at least 12 characters"),
    "common password": ([], "password1234", "too common"),
    "password equal to the username": (
        ["--username", "grace.hopper"],
        "grace.hopper",
        "differ from your username",
    ),
}


@pytest.mark.parametrize(("flags", "password", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_bad_input_is_one_error_line_and_writes_nothing(
    cli: Cli, seeded_dir: Path, seeded_db: Db, flags: list[str], password: str, reason: str
) -> None:
    values = {"--username": "grace", "--full-name": "Grace Hopper", "--email": "g@example.com"}
    values.update(zip(flags[::2], flags[1::2], strict=True))
    audited = seeded_db.audit_count()
    result = cli(
        seeded_dir,
        "create-admin",
        *[item for pair in values.items() for item in pair],
        "--password-stdin",
        answers=lines(password),
    )
    assert reason in error_line(result)
    assert seeded_db.usernames() == ["ada", "bob"]
    assert seeded_db.audit_count() == audited


def test_differing_confirmation_is_refused_and_writes_nothing(
    seeded_dir: Path, seeded_db: Db
) -> None:
    # A real process: the exit status of a refusal, end to end.
    result = run_cli(
        seeded_dir,
        "create-admin",
        answers=lines("grace", "Grace Hopper", "g@example.com", PASSWORD, PASSWORD + " "),
    )
    assert error_line(result) == "error: the two passwords differ"
    assert seeded_db.usernames() == ["ada", "bob"]


def test_bad_input_on_a_first_install_creates_no_database(cli: Cli, fresh_dir: Path) -> None:
    result = cli(
        fresh_dir,
        "create-admin",
        "--username",
        "grace",
        "--full-name",
        "Grace Hopper",
        "--email",
        "grace@example.com",
        "--password-stdin",
        answers=lines("password1234"),
    )
    assert "too common" in error_line(result)
    assert not (fresh_dir / DB_NAME).exists()


def test_running_out_of_answers_is_one_error_line(
    cli: Cli, seeded_dir: Path, seeded_db: Db
) -> None:
    result = cli(seeded_dir, "create-admin", answers=lines("grace", "Grace Hopper"))
    assert error_line(result) == ("error: no input: give the value by flag or answer the prompt")
    assert seeded_db.usernames() == ["ada", "bob"]


def test_empty_flag_value_is_refused_not_prompted(
    cli: Cli, seeded_dir: Path, seeded_db: Db
) -> None:
    result = cli(
        seeded_dir,
        "create-admin",
        "--username",
        "grace",
        "--full-name",
        "",
        "--email",
        "g@example.com",
        "--password-stdin",
        answers=lines(PASSWORD, "another line"),
    )
    assert error_line(result) == "error: Enter a full name."
    assert seeded_db.usernames() == ["ada", "bob"]


def test_crlf_answers_do_not_put_a_carriage_return_in_the_password(
    cli: Cli, fresh_dir: Path
) -> None:
    answers = "grace\r\nGrace Hopper\r\ngrace@example.com\r\n" + f"{PASSWORD}\r\n" * 2
    result = cli(fresh_dir, "create-admin", answers=answers)
    assert result.returncode == 0, result.stderr
    stored = Db(fresh_dir / "admin_app.db").user("grace")["password_hash"]
    assert HASHER.verify(stored, PASSWORD)
