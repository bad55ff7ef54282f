"""Sends the product's mails through the configured sender."""

from __future__ import annotations

import threading
import time

from admin_app.mail import templates
from admin_app.mail.message import build
from admin_app.mail.senders import Sender, sender_for
from admin_app.settings import Settings


class SendTimer:
    """A running average of how long a send takes.

    Where a mail goes only to existing users (a code for a known address),
    the unknown-address path waits about as long, so timing does not tell
    the two apart.
    """

    def __init__(self) -> None:
        self._average = 0.0
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        with self._lock:
            self._average = seconds if self._average == 0 else 0.8 * self._average + 0.2 * seconds

    def delay(self) -> float:
        """Seconds a stand-in should wait: awaited by the faces, never slept in a thread."""
        with self._lock:
            return min(self._average, 5.0)


send_timer = SendTimer()


def _send(settings: Settings, to: str, rendered: templates.Rendered, sender: Sender | None) -> None:
    message = build(
        sender=settings.mail_from,
        sender_name=settings.app_name,
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html_body=rendered.html,
    )
    started = time.perf_counter()
    (sender or sender_for(settings)).send(message)
    send_timer.observe(time.perf_counter() - started)


def send_code(
    settings: Settings, *, to: str, purpose: str, code: str, sender: Sender | None = None
) -> None:
    rendered = templates.code_mail(
        app_name=settings.app_name,
        purpose=purpose,
        code=code,
        ttl_minutes=max(1, settings.otp_ttl // 60),
    )
    _send(settings, to, rendered, sender)


def send_signup_attempt(settings: Settings, *, to: str, sender: Sender | None = None) -> None:
    rendered = templates.signup_attempt_mail(
        app_name=settings.app_name, login_url=f"{settings.app_url}/login"
    )
    _send(settings, to, rendered, sender)


def send_welcome(
    settings: Settings, *, to: str, username: str, sender: Sender | None = None
) -> None:
    rendered = templates.welcome_mail(
        app_name=settings.app_name, username=username, login_url=f"{settings.app_url}/login"
    )
    _send(settings, to, rendered, sender)


def send_reset_link(settings: Settings, *, to: str, url: str, sender: Sender | None = None) -> None:
    rendered = templates.reset_mail(app_name=settings.app_name, url=url)
    _send(settings, to, rendered, sender)


def send_rendered(
    settings: Settings, *, to: str, rendered: templates.Rendered, sender: Sender | None = None
) -> None:
    """Send words rendered elsewhere (the security notices, `mail.notices`)."""
    _send(settings, to, rendered, sender)
