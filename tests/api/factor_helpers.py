"""Shared by the second-factor API tests: an authenticator app, adding one, mailed codes."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from admin_app.clock import now
from tests.support.smtp import SmtpServer

Travel = Callable[[float], None]
STEP = 30
# A recovery code as the service makes them: three groups of four.
RECOVERY_CODE = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$")


class Authenticator:
    """An authenticator app on a phone: a new code for each use, on the app's clock.

    The server takes each 30 s step once and one step of drift, so the next
    code is the next unused step; when that is more than one step ahead, the
    clock travels to it (as a user would wait for the next code).
    """

    def __init__(self, secret: str, travel: Travel) -> None:
        self.totp = pyotp.TOTP(secret)
        self.travel = travel
        self.last_step = -1

    def _current(self) -> int:
        return int(now().timestamp()) // STEP

    def code(self) -> str:
        step = max(self._current(), self.last_step + 1)
        if step > self._current() + 1:
            self.travel(STEP)
        self.last_step = step
        return str(self.totp.generate_otp(step))

    def last_code(self) -> str:
        """The code just given again: a replay."""
        return str(self.totp.generate_otp(self.last_step))


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def add_app(
    client: TestClient, headers: dict[str, str], travel: Travel, name: str = "Phone"
) -> tuple[Authenticator, list[str]]:
    """Add and confirm an authenticator app through the API; the app and its recovery codes."""
    started = client.post("/auth/factors/totp", json={"name": name}, headers=headers)
    assert started.status_code == 201, started.text
    app = Authenticator(started.json()["secret"], travel)
    confirmed = client.post(
        f"/auth/factors/totp/{started.json()['factor_id']}/confirm",
        json={"code": app.code()},
        headers=headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    return app, list(confirmed.json()["recovery_codes"])


def codes_mailed(smtp_server: SmtpServer, address: str) -> list[str]:
    """The sign-in codes mailed to `address`, oldest first (security mails carry none)."""
    found = []
    for message in smtp_server.inbox.to(address):
        match = re.match(r"(\d{6}) is your ", str(message["Subject"]))
        if match:
            found.append(match.group(1))
    return found


def wait_for_code(smtp_server: SmtpServer, address: str, count: int = 1) -> str:
    """Code number `count` mailed to `address`."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        codes = codes_mailed(smtp_server, address)
        if len(codes) >= count:
            return codes[count - 1]
        time.sleep(0.05)
    raise AssertionError(f"no code #{count} mailed to {address}")


def wait_for_subject(smtp_server: SmtpServer, address: str, fragment: str) -> Any:
    """The first mail to `address` whose subject holds `fragment`."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in smtp_server.inbox.to(address):
            if fragment in str(message["Subject"]):
                return message
        time.sleep(0.05)
    raise AssertionError(f"no mail “{fragment}” to {address}")


def subjects(smtp_server: SmtpServer, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp_server.inbox.to(address)]


def error(answer: Any, status: int, code: str) -> str:
    """Assert an error answer of the documented shape; its detail."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"detail", "code"}, body
    assert body["code"] == code, body
    return str(body["detail"])


def pair(answer: Any) -> dict[str, Any]:
    """A token-pair answer."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ok", body
    assert body["access_token"] and body["refresh_token"]
    return dict(body)


def otp_required(answer: Any) -> dict[str, Any]:
    """An `otp_required` answer."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "otp_required", body
    assert set(body) >= {"otp_session_id", "methods", "code_mailed", "resend_in", "expires_in"}
    return dict(body)
