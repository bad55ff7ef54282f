"""Steps the second-factor page tests share: add an app from the page's own secret,
read the recovery codes shown once, watch what the server sends the tab."""

from __future__ import annotations

import base64
import re
import time

import pyotp
from playwright.sync_api import Page, WebSocket, expect

from tests.e2e.conftest import AppServer, path_is, sign_in
from tests.support.smtp import Inbox

SECRET_SHOWN = re.compile(r"^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$")
RECOVERY_CODE = re.compile(r"^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$")


def totp_code(secret: str, *, ahead: int = 0) -> str:
    """The app's code now, or `ahead` steps on (one step is within the allowed drift).

    A code is accepted once per 30 s step: a second code in the same step
    must come from the next one.
    """
    return pyotp.TOTP(secret).at(time.time() + 30 * ahead)


def shown_secret(page: Page) -> str:
    """The secret as the page shows it (grouped by four), as an app takes it."""
    secret = page.locator("#totp-secret")
    expect(secret).to_have_text(SECRET_SHOWN)
    return secret.inner_text().replace(" ", "")


def qr_svg(page: Page) -> str:
    """The QR code's image, a data: URL made on the server: the SVG document it holds."""
    image = page.locator("#totp-qr")
    expect(image).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    src = image.get_attribute("src") or ""
    return base64.b64decode(src.split(",", 1)[1]).decode()


def shown_codes(page: Page) -> list[str]:
    box = page.locator("#recovery-codes")
    expect(box).to_have_text(re.compile(r"^([a-z2-9-]{14}\n){9}[a-z2-9-]{14}$"))
    codes = box.inner_text().split("\n")
    assert len(codes) == 10 and all(RECOVERY_CODE.match(c) for c in codes), codes
    return codes


def start_adding(page: Page, name: str) -> None:
    """From /profile: open "Add an authenticator app" and name it."""
    page.get_by_role("button", name="Add an authenticator app").click()
    dialog = page.get_by_role("dialog", name="Add an authenticator app")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name for this app").fill(name)
    dialog.get_by_role("button", name="Continue").click()


def confirm_scanned(page: Page, secret: str, *, ahead: int = 0) -> None:
    page.get_by_label("6-digit code from the app").fill(totp_code(secret, ahead=ahead))
    page.get_by_role("button", name="Add app").click()


def add_first_app(page: Page, name: str) -> tuple[str, list[str]]:
    """On /profile, signed in freshly: add the first app; its secret and recovery codes.

    Leaves the page with the codes dialog closed.
    """
    start_adding(page, name)
    expect(page.get_by_role("dialog", name="Scan the QR code")).to_be_visible()
    secret = shown_secret(page)
    confirm_scanned(page, secret)
    codes_dialog = page.get_by_role("dialog", name="Save your recovery codes")
    expect(codes_dialog).to_be_visible()
    codes = shown_codes(page)
    codes_dialog.get_by_role("button", name="I have saved them").click()
    expect(codes_dialog).to_have_count(0)
    return secret, codes


def open_profile(page: Page, server: AppServer, identifier: str) -> None:
    page.goto(f"{server.url}/profile")
    sign_in(page, identifier)
    expect(page).to_have_url(path_is("/profile"))
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()


class Frames:
    """Every websocket frame the server sends this page (Reflex's state deltas, events)."""

    def __init__(self, page: Page) -> None:
        self.received: list[str] = []
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: self.received.append(str(payload)))

    def clear(self) -> None:
        self.received.clear()

    def text(self) -> str:
        return "\n".join(self.received)


def mails_with(inbox: Inbox, address: str, subject: str) -> list[str]:
    """The plain text of each mail to `address` whose subject contains `subject`."""
    return [
        inbox.text(message)
        for message in inbox.to(address)
        if subject.lower() in str(message["Subject"]).lower()
    ]


def wait_for_mail(inbox: Inbox, address: str, subject: str, *, count: int = 1) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = mails_with(inbox, address, subject)
        if len(found) >= count:
            return found[count - 1]
        time.sleep(0.05)
    raise AssertionError(f"no mail #{count} about {subject!r} to {address}")


def confirm_code(inbox: Inbox, address: str, *, count: int = 1) -> str:
    """The 6-digit code of the `count`-th code mail (subject "<code> is your ... code")."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        subjects = [
            str(m["Subject"])
            for m in inbox.to(address)
            if re.match(r"^\d{6} is your ", str(m["Subject"]))
        ]
        if len(subjects) >= count:
            return subjects[count - 1][:6]
        time.sleep(0.05)
    raise AssertionError(f"no code mail #{count} to {address}")
