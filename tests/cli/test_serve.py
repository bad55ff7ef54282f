"""What the commands print: `serve`'s one start-up line, and no dependency nudges."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from admin_app.settings import load_settings
from admin_app.startup import summary
from tests.cli.conftest import ROOT, cli_env, run_cli

SECRET = "s" * 40


def _summary(tmp_path: Path, **env: str) -> str:
    settings = load_settings({"DATA_DIR": str(tmp_path), "JWT_SECRET": SECRET, **env})
    return summary(settings, host="127.0.0.1", port=settings.app_port)


def test_the_default_says_url_mode_database_and_the_mailbox(tmp_path: Path) -> None:
    line = _summary(tmp_path)
    assert line.startswith("admin_app serving http://localhost:3000 ")
    assert "listening on 127.0.0.1:3000, development" in line
    assert "AUTH_MODE=otp" in line
    assert f"database sqlite:///{tmp_path / 'admin_app.db'}" in line
    assert "mail: console and http://localhost:3000/dev/mailbox" in line
    assert "\n" not in line


def test_smtp_and_postgresql_are_named_without_the_password(tmp_path: Path) -> None:
    line = _summary(
        tmp_path,
        AUTH_MODE="password+otp",
        DATABASE_URL="postgresql+psycopg://admin:hunter2hunter2@db.internal:5432/admin",
        SMTP_HOST="mail.example.com",
        SMTP_PASSWORD="smtp-secret",
    )
    assert "AUTH_MODE=password+otp" in line
    assert "postgresql+psycopg://admin:***@db.internal:5432/admin" in line
    assert "hunter2" not in line and "smtp-secret" not in line
    assert "mail: SMTP mail.example.com:587 (starttls)" in line


def test_production_without_smtp_says_mail_is_not_sent(tmp_path: Path) -> None:
    line = _summary(tmp_path, APP_ENV="production", AUTH_MODE="password")
    assert "production" in line
    assert "mail: not sent" in line
    assert "/dev/mailbox" not in line


def test_no_dependency_deprecation_nudge_reaches_the_terminal(tmp_path: Path) -> None:
    # What `serve` and `build` import: the API, and Authlib's httpx client with it.
    result = subprocess.run(
        [sys.executable, "-c", "import admin_app.api.app"],
        env=cli_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Deprecation" not in result.stderr
    assert "httpx2" not in result.stderr
    assert run_cli(tmp_path, "migrate").stderr.count("Warning") == 0
