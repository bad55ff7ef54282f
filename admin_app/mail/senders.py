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
    """Prints each mail and keeps it in the development mailbox directory.

    A directory (not memory) so that every worker process sees the same box.
    """

    def __init__(self, mailbox_dir: Path) -> None:
        self.mailbox_dir = mailbox_dir

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(preferencelist=("plain",))
        body = text.get_content() if text is not None else ""
        print(
            f"\n----- mail to {message['To']}: {message['Subject']} -----\n{body}\n-----",
            file=sys.stderr,
            flush=True,
        )
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
        return ConsoleSender(settings.mailbox_dir)
    return SmtpSender(settings)
