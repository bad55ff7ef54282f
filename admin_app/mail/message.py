"""Build a plain-text and HTML message; header injection is refused here."""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import formataddr, make_msgid


class HeaderInjection(ValueError):
    """A value bound for a mail header contains a line break."""


def _header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjection("line breaks are not allowed in mail headers")
    return value


def build(
    *, sender: str, sender_name: str, to: str, subject: str, text: str, html_body: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((_header(sender_name), _header(sender)))
    message["To"] = _header(to)
    message["Subject"] = _header(subject)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(text)
    body = html_body or f"<pre>{html.escape(text)}</pre>"
    message.add_alternative(body, subtype="html")
    return message
