"""Senders: SMTP for real deployments, console + development mailbox otherwise."""

from __future__ import annotations

import json
import smtplib
import ssl
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from admin_app.errors import MailNotSent
from admin_app.security.randomness import new_id
from admin_app.settings import Settings

SMTP_TIMEOUT_SECONDS = 10


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class ConsoleSender:
    """Development without SMTP: prints each mail, and keeps it for /dev/mailbox.

    Kept in a directory (not memory) so that every worker process sees the
    same box. Outside development a mail's body (a code, a link) is neither
    printed nor kept: logs and disks are read by more people than mailboxes.
    """

    def __init__(self, mailbox_dir: Path | None, *, show_body: bool = True) -> None:
        self.mailbox_dir = mailbox_dir
        self.show_body = show_body

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(preferencelist=("plain",))
        body = text.get_content() if text is not None else ""
        shown = body if self.show_body else "(not shown outside development: set SMTP_HOST)"
        print(
            f"\n----- mail to {message['To']}: {message['Subject']} -----\n{shown}\n-----",
            file=sys.stderr,
            flush=True,
        )
        if self.mailbox_dir is None:
            return
        self.mailbox_dir.mkdir(parents=True, exist_ok=True)
        record = {
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "text": body,
            "sent_at": time.time(),
        }
        path = self.mailbox_dir / f"{time.time_ns()}-{new_id()[:8]}.json"
        path.write_text(json.dumps(record))


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        assert s.smtp_host is not None
        try:
            if s.smtp_security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host,
                    s.smtp_port,
                    timeout=SMTP_TIMEOUT_SECONDS,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
            with client:
                if s.smtp_security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if s.smtp_username:
                    client.login(s.smtp_username, s.smtp_password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailNotSent() from exc


def sender_for(settings: Settings) -> Sender:
    if settings.mail_is_console:
        return ConsoleSender(
            settings.mailbox_dir if settings.dev_mailbox else None,
            show_body=not settings.is_production,
        )
    return SmtpSender(settings)
