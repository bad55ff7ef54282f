"""`python -m admin_app reset-factors`: the escape hatch for a lost authenticator app."""

from __future__ import annotations

from pathlib import Path

import pyotp
from sqlmodel import Session

from admin_app.clock import now
from admin_app.db import make_engine
from admin_app.services.accounts import users
from admin_app.services.factors import recovery, totp
from admin_app.settings import load_settings
from tests.cli.conftest import Cli, Db, cli_env, error_line, lines, run_cli


def _add_app(data_dir: Path, username: str) -> None:
    settings = load_settings(cli_env(data_dir))
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        user = users.find_by_identifier(session, username)
        assert user is not None and user.id is not None
        enrolment = totp.start(session, settings=settings, user=user, name="Phone")
        code = pyotp.TOTP(enrolment.secret).at(now().timestamp())
        assert totp.confirm(
            session, settings=settings, user=user, factor_id=enrolment.factor_id, code=code
        )
        recovery.generate(session, settings=settings, user_id=user.id)
        session.commit()
    engine.dispose()


def test_the_prompted_reset_removes_every_factor_and_says_so(
    seeded_dir: Path, seeded_db: Db
) -> None:
    _add_app(seeded_dir, "ada")
    _add_app(seeded_dir, "bob")
    result = run_cli(seeded_dir, "reset-factors", answers=lines("ADA@example.com"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Second factors reset for ada:")
    ada, bob = seeded_db.user("ada")["id"], seeded_db.user("bob")["id"]
    assert seeded_db.rows("SELECT id FROM totp_factors WHERE user_id = ?", ada) == []
    assert seeded_db.rows("SELECT id FROM recovery_codes WHERE user_id = ?", ada) == []
    # Only hers.
    assert len(seeded_db.rows("SELECT id FROM totp_factors WHERE user_id = ?", bob)) == 1
    (event,) = seeded_db.audit("factors.reset")
    assert event["user_id"] == ada and event["ip"] == "cli"


def test_an_unknown_email_changes_nothing(cli: Cli, seeded_dir: Path, seeded_db: Db) -> None:
    _add_app(seeded_dir, "ada")
    result = cli(seeded_dir, "reset-factors", "--email", "nobody@example.com")
    assert error_line(result) == "error: no user with the email nobody@example.com"
    assert len(seeded_db.rows("SELECT id FROM totp_factors")) == 1
