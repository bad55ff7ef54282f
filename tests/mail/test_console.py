"""The console sender and the development mailbox it fills."""

from __future__ import annotations

from pathlib import Path

import pytest

from admin_app.mail import mailbox, message
from admin_app.mail.senders import ConsoleSender, sender_for
from admin_app.settings import load_settings


def _mail(to: str, subject: str, text: str) -> message.EmailMessage:
    return message.build(
        sender="admin@example.com", sender_name="Admin", to=to, subject=subject, text=text
    )


def test_console_sender_prints_and_keeps_each_mail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = tmp_path / "mailbox"
    sender = ConsoleSender(box)
    sender.send(_mail("ada@example.com", "First", "Code 111111"))
    sender.send(_mail("bob@example.com", "Second", "Code 222222"))
    assert len(list(box.glob("*.json"))) == 2
    printed = capsys.readouterr().err
    assert "ada@example.com" in printed and "Code 111111" in printed
    mails = mailbox.read(box)
    assert [(m.to, m.subject) for m in mails] == [
        ("bob@example.com", "Second"),
        ("ada@example.com", "First"),
    ]
    assert mails[0].text.strip() == "Code 222222"
    assert mails[0].sent_at >= mails[1].sent_at > 0


def test_the_mailbox_keeps_the_plain_text_not_the_html(tmp_path: Path) -> None:
    mail = message.build(
        sender="admin@example.com",
        sender_name="Admin",
        to="ada@example.com",
        subject="Code",
        text="plain 123456",
        html_body="<p>html 123456</p>",
    )
    ConsoleSender(tmp_path).send(mail)
    (stored,) = mailbox.read(tmp_path)
    assert stored.text.strip() == "plain 123456"


def test_read_shows_at_most_the_limit(tmp_path: Path) -> None:
    sender = ConsoleSender(tmp_path)
    for n in range(5):
        sender.send(_mail("ada@example.com", f"Mail {n}", "body"))
    assert [m.subject for m in mailbox.read(tmp_path, limit=2)] == ["Mail 4", "Mail 3"]


def test_a_missing_mailbox_is_empty(tmp_path: Path) -> None:
    assert mailbox.read(tmp_path / "nowhere") == []


def test_a_broken_file_is_skipped(tmp_path: Path) -> None:
    ConsoleSender(tmp_path).send(_mail("ada@example.com", "Good", "body"))
    (tmp_path / "9999999999999999999-broken.json").write_text("{not json")
    (tmp_path / "9999999999999999998-wrong.json").write_text('{"unexpected": 1}')
    assert [m.subject for m in mailbox.read(tmp_path)] == ["Good"]


def test_outside_development_the_console_shows_no_body_and_keeps_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "APP_ENV": "production",
            "AUTH_MODE": "password",
            "JWT_SECRET": "p" * 40,
        }
    )
    sender = sender_for(settings)
    sender.send(_mail("ada@example.com", "Your reset link", "https://x/reset?token=SECRET123"))
    printed = capsys.readouterr().err
    assert "ada@example.com" in printed and "Your reset link" in printed
    assert "SECRET123" not in printed
    assert not settings.mailbox_dir.exists()
    assert list((tmp_path / "data").rglob("*.json")) == []


def test_a_network_app_url_in_development_prints_but_keeps_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "APP_ENV": "development",
            "APP_URL": "http://10.1.2.3:3000",
            "JWT_SECRET": "p" * 40,
        }
    )
    sender_for(settings).send(_mail("ada@example.com", "Code", "Code 424242"))
    assert "Code 424242" in capsys.readouterr().err
    assert not settings.mailbox_dir.exists()
