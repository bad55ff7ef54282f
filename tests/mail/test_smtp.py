"""Mail messages and the SMTP sender, against a real SMTP server."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from admin_app.errors import MailNotSent
from admin_app.mail import message
from admin_app.mail.message import HeaderInjection
from admin_app.mail.senders import ConsoleSender, SmtpSender, sender_for
from admin_app.settings import Settings
from tests.support.smtp import SmtpServer

MakeSettings = Callable[..., Settings]


def _build(**overrides: str) -> message.EmailMessage:
    values = {
        "sender": "admin@example.com",
        "sender_name": "Admin",
        "to": "ada@example.com",
        "subject": "Your sign-in code",
        "text": "Your code is 123456.\nIt expires in 10 minutes.",
        "html_body": "<p>Your code is <strong>123456</strong>.</p>",
    }
    values.update(overrides)
    return message.build(**values)


@pytest.mark.parametrize("field", ["subject", "to", "sender", "sender_name"])
@pytest.mark.parametrize("brk", ["\r\n", "\n", "\r"])
def test_line_breaks_in_headers_are_refused(field: str, brk: str) -> None:
    with pytest.raises(HeaderInjection):
        _build(**{field: f"ada@example.com{brk}Bcc: everyone@example.com"})


def test_a_message_has_plain_and_html_parts() -> None:
    built = _build()
    assert built["To"] == "ada@example.com"
    assert built["From"] == "Admin <admin@example.com>"
    assert built["Subject"] == "Your sign-in code"
    assert built["Message-ID"].endswith("@example.com>")
    plain = built.get_body(preferencelist=("plain",))
    html = built.get_body(preferencelist=("html",))
    assert plain is not None and "123456" in plain.get_content()
    assert html is not None and "<strong>123456</strong>" in html.get_content()


def test_without_html_the_text_is_escaped_into_html() -> None:
    built = _build(text="<script>alert(1)</script> & 123456", html_body="")
    html = built.get_body(preferencelist=("html",))
    assert html is not None
    content = html.get_content()
    assert "&lt;script&gt;" in content and "<script>" not in content


def _smtp_settings(make_settings: MakeSettings, port: int) -> Settings:
    return make_settings(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none")


def test_smtp_delivers_to_a_real_server(
    make_settings: MakeSettings, smtp_server: SmtpServer
) -> None:
    settings = _smtp_settings(make_settings, smtp_server.port)
    sender = sender_for(settings)
    assert isinstance(sender, SmtpSender)
    sender.send(_build())
    received = smtp_server.inbox.wait_for("ada@example.com", timeout=5)
    assert received["Subject"] == "Your sign-in code"
    assert received["From"] == "Admin <admin@example.com>"
    assert "Your code is 123456." in smtp_server.inbox.text(received)
    html = received.get_body(preferencelist=("html",))
    assert html is not None and "<strong>123456</strong>" in html.get_content()
    assert len(smtp_server.inbox.messages) == 1


def test_a_server_that_is_down_raises_mail_not_sent_quickly(make_settings: MakeSettings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    # The port is closed now: nothing listens on it.
    settings = _smtp_settings(make_settings, port)
    started = time.monotonic()
    with pytest.raises(MailNotSent) as refused:
        SmtpSender(settings).send(_build())
    assert time.monotonic() - started < 3
    assert refused.value.code == "mail_not_sent"
    assert isinstance(refused.value.__cause__, OSError)


def test_without_smtp_host_mail_goes_to_the_console(make_settings: MakeSettings) -> None:
    settings = make_settings()
    sender = sender_for(settings)
    assert isinstance(sender, ConsoleSender)
    assert sender.mailbox_dir == settings.mailbox_dir
