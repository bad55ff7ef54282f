"""`python -m admin_app reset-password`: the escape hatch for a lost password."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import (
    ADA_PASSWORD,
    BOB_PASSWORD,
    DB_NAME,
    HASHER,
    Cli,
    Db,
    copy_db,
    error_line,
    lines,
    run_cli,
)

NEW_PASSWORD = "a brand new secret phrase"
Reset = tuple[subprocess.CompletedProcess[str], Db]


@pytest.fixture(scope="module")
def reset(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Reset:
    """One reset of ada's password (she has two live sessions), typed at the prompts."""
    data_dir = tmp_path_factory.mktemp("reset")
    copy_db(template_db, data_dir / DB_NAME)
    result = run_cli(
        data_dir, "reset-password", answers=lines("ADA@example.com", NEW_PASSWORD, NEW_PASSWORD)
    )
    return result, Db(data_dir / DB_NAME)


def test_reset_asks_for_email_then_password_twice_and_says_what_it_did(reset: Reset) -> None:
    result, _ = reset
    assert result.returncode == 0, result.stderr
    prompts, _, mail = result.stderr.partition("\n\n")
    assert prompts == "Email: \nPassword: \nPassword (again): "
    # The owner is told (console mail here, printed after the change is committed).
    assert "mail to ada@example.com: Your Admin password was changed" in mail
    assert result.stdout == (
        "Password reset for ada; their sessions were signed out and their API keys revoked.\n"
    )


def test_new_password_works_and_old_one_no_longer_does(reset: Reset) -> None:
    _, db = reset
    stored = db.user("ada")["password_hash"]
    assert stored.startswith("$argon2id$")
    assert HASHER.verify(stored, NEW_PASSWORD)
    assert not HASHER.verify(stored, ADA_PASSWORD)


def test_reset_is_audited_as_password_reset(reset: Reset) -> None:
    _, db = reset
    (event,) = db.audit("password.reset")
    assert event["user_id"] == db.user("ada")["id"]
    assert event["ip"] == "cli"


def test_reset_signs_the_user_out_everywhere(reset: Reset) -> None:
    _, db = reset
    assert db.live_sessions("ada") == 0
    revoked = db.rows(
        "SELECT revoked_at FROM sessions WHERE user_id = ? AND revoked_at IS NOT NULL",
        db.user("ada")["id"],
    )
    assert len(revoked) == 2


def test_reset_leaves_other_users_alone(reset: Reset) -> None:
    _, db = reset
    assert db.live_sessions("bob") == 1
    assert HASHER.verify(db.user("bob")["password_hash"], BOB_PASSWORD)


def test_flags_and_password_on_stdin_reset_without_prompting(
    cli: Cli, seeded_dir: Path, seeded_db: Db
) -> None:
    result = cli(
        seeded_dir,
        "reset-password",
        "--email",
        "ada@example.com",
        "--password-stdin",
        answers=lines(NEW_PASSWORD),
    )
    assert result.returncode == 0, result.stderr
    # No prompt; only the owner's notice (console mail in this test).
    assert result.stderr.lstrip().startswith("----- mail to ada@example.com: Your Admin password")
    assert HASHER.verify(seeded_db.user("ada")["password_hash"], NEW_PASSWORD)
    assert seeded_db.live_sessions("ada") == 0


def assert_nothing_changed(db: Db) -> None:
    assert HASHER.verify(db.user("ada")["password_hash"], ADA_PASSWORD)
    assert db.live_sessions("ada") == 2
    assert db.audit("password.reset") == []


def test_unknown_email_is_one_error_line_and_changes_nothing(
    seeded_dir: Path, seeded_db: Db
) -> None:
    # A real process: the exit status of a refusal, end to end.
    result = run_cli(
        seeded_dir, "reset-password", answers=lines("nobody@example.com", NEW_PASSWORD)
    )
    assert error_line(result) == "error: no user with the email nobody@example.com"
    assert_nothing_changed(seeded_db)


REFUSED = {
    "common password": ("password1234", "password1234", "too common"),
    "password equal to the email": ("ada@example.com", "ada@example.com", "differ from your"),
    "differing confirmation": (NEW_PASSWORD, NEW_PASSWORD + "!", "the two passwords differ"),
}


@pytest.mark.parametrize(("password", "again", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_refused_new_password_is_one_error_line_and_changes_nothing(
    cli: Cli, seeded_dir: Path, seeded_db: Db, password: str, again: str, reason: str
) -> None:
    result = cli(seeded_dir, "reset-password", answers=lines("ada@example.com", password, again))
    assert reason in error_line(result)
    assert_nothing_changed(seeded_db)
