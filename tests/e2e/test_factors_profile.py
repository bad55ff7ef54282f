"""/profile's second factors in AUTH_MODE=password: authenticator apps, recovery codes,
trusted browsers. Every sign-in here is fresh, so no action asks "Confirm it's you"
(tests/e2e/test_reauth_dialog.py has the stale proofs)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, AppServer, MailServer, unique
from tests.e2e.factors_support import (
    Frames,
    add_first_app,
    confirm_scanned,
    open_profile,
    qr_svg,
    shown_codes,
    shown_secret,
    start_adding,
    wait_for_mail,
)


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="password", **mail_server.env)


@pytest.fixture
def user(server: AppServer) -> tuple[str, str]:
    username = unique("fac")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Katherine Johnson")
    return username, email


def apps_table(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("table").filter(has_text="Authenticator app")


def test_add_an_app_from_the_pages_secret_and_see_the_recovery_codes_once(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str], tmp_path: Path
) -> None:
    frames = Frames(page)
    open_profile(page, server, user[0])
    expect(page.get_by_text("No authenticator app yet.")).to_be_visible()

    start_adding(page, "Work phone")
    scan = page.get_by_role("dialog", name="Scan the QR code")
    expect(scan).to_be_visible()
    # The QR code is an SVG made by the page's server, named for screen readers.
    svg = qr_svg(page)
    assert svg.lstrip().startswith("<svg") and "<path" in svg, svg[:200]
    expect(scan.get_by_role("img", name="QR code for Work phone")).to_be_visible()
    secret = shown_secret(page)
    assert len(secret) >= 16
    # The code field has the focus (the name field it replaced is gone).
    expect(scan.get_by_label("6-digit code from the app")).to_be_focused()

    # A wrong code is refused in the dialog; the QR code and the secret stay.
    scan.get_by_label("6-digit code from the app").fill("000000")
    scan.get_by_role("button", name="Add app").click()
    expect(scan.get_by_role("alert")).to_contain_text("That code is not right.")
    assert shown_secret(page) == secret
    assert qr_svg(page) == svg

    confirm_scanned(page, secret)
    codes_dialog = page.get_by_role("dialog", name="Save your recovery codes")
    expect(codes_dialog).to_be_visible()
    codes = shown_codes(page)
    assert len(set(codes)) == 10

    # Download: a text file of the same codes, one a line.
    with page.expect_download() as download:
        codes_dialog.get_by_role("button", name="Download the recovery codes").click()
    saved = tmp_path / "codes.txt"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "recovery-codes.txt"
    assert saved.read_text().split() == codes
    assert codes[0] in frames.text()  # what the next checks look for can be seen at all

    codes_dialog.get_by_role("button", name="I have saved them").click()
    expect(codes_dialog).to_have_count(0)
    expect(page.locator("#recovery-codes")).to_have_count(0)
    assert all(code not in page.content() for code in codes)

    row = apps_table(page).get_by_role("row").filter(has_text="Work phone")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(2)).not_to_have_text("never")  # confirming used it
    expect(page.locator("#recovery-left")).to_contain_text("10 of 10 recovery codes left")
    expect(page.get_by_role("status").filter(has_text="“Work phone” was added")).to_be_visible()
    mail = wait_for_mail(mail_server.inbox, user[1], "second factor was added")
    assert "Work phone" in mail

    # After a reload the server sends the tab nothing of the secret or the codes.
    frames.clear()
    page.reload()
    expect(apps_table(page).get_by_role("row").filter(has_text="Work phone")).to_have_count(1)
    expect(page.locator("#recovery-left")).to_contain_text("10 of 10")
    page.wait_for_load_state("networkidle")
    sent = frames.text()
    assert "Work phone" in sent  # the state did arrive
    assert secret not in sent
    assert all(code not in sent for code in codes)
    assert all(code not in page.content() for code in codes)
    rows = server.query(
        "SELECT count(*) FROM totp_factors JOIN users ON users.id = totp_factors.user_id "
        "WHERE users.username = ? AND confirmed_at IS NOT NULL",
        user[0],
    )
    assert rows == [(1,)]


def test_a_second_app_brings_no_new_codes_and_apps_can_be_removed(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    open_profile(page, server, user[0])
    add_first_app(page, "Phone")

    start_adding(page, "Tablet")
    expect(page.get_by_role("dialog", name="Scan the QR code")).to_be_visible()
    tablet = shown_secret(page)
    confirm_scanned(page, tablet)
    # No codes step: the dialog closes and the list shows both.
    expect(page.get_by_role("dialog")).to_have_count(0)
    table = apps_table(page)
    expect(table.get_by_role("row")).to_have_count(3)  # the header and two apps
    expect(page.get_by_role("status").filter(has_text="“Tablet” was added")).to_be_visible()
    expect(page.locator("#recovery-left")).to_contain_text("10 of 10")

    # Remove asks first; Cancel keeps the app.
    page.get_by_role("button", name="Remove Phone").click()
    confirm = page.get_by_role("alertdialog", name="Remove “Phone”?")
    expect(confirm).to_contain_text("Its codes will no longer sign you in.")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(table.get_by_role("row")).to_have_count(3)

    page.get_by_role("button", name="Remove Phone").click()
    confirm.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status").filter(has_text="“Phone” was removed.")).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("Tablet")
    assert "Phone" in wait_for_mail(mail_server.inbox, user[1], "second factor was removed")

    # The last one says the recovery codes go with it, and they do.
    page.get_by_role("button", name="Remove Tablet").click()
    last = page.get_by_role("alertdialog", name="Remove “Tablet”?")
    expect(last).to_contain_text("your recovery codes go with it")
    last.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_contain_text("the recovery codes went too")
    expect(page.get_by_text("No authenticator app yet.")).to_be_visible()
    expect(page.locator("#recovery-left")).to_have_count(0)
    left = server.query(
        "SELECT count(*) FROM recovery_codes JOIN users ON users.id = recovery_codes.user_id "
        "WHERE users.username = ?",
        user[0],
    )
    assert left == [(0,)]


def test_new_recovery_codes_replace_the_old_ones(
    server: AppServer, mail_server: MailServer, page: Page, user: tuple[str, str]
) -> None:
    open_profile(page, server, user[0])
    _, old = add_first_app(page, "Phone")

    page.get_by_role("button", name="Generate new codes").click()
    ask = page.get_by_role("alertdialog", name="Generate new recovery codes?")
    expect(ask).to_contain_text("Your old recovery codes stop working")
    ask.get_by_role("button", name="Cancel").click()
    expect(ask).to_be_hidden()
    expect(page.get_by_role("dialog", name="Your new recovery codes")).to_have_count(0)

    page.get_by_role("button", name="Generate new codes").click()
    ask.get_by_role("button", name="Generate new codes").click()
    shown = page.get_by_role("dialog", name="Your new recovery codes")
    expect(shown).to_be_visible()
    new = shown_codes(page)
    assert not set(new) & set(old)
    # Escape closes it like "I have saved them": the codes leave the page.
    page.keyboard.press("Escape")
    expect(shown).to_have_count(0)
    expect(page.locator("#recovery-codes")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("the old ones no longer work")
    wait_for_mail(mail_server.inbox, user[1], "new recovery codes")


TRUST = """
import sys
from admin_app.db import session_scope
from admin_app.services.accounts import users
from admin_app.services.factors import trusted
from admin_app.services.request_context import RequestContext
from admin_app.settings import get_settings

with session_scope() as db:
    user = users.find_by_identifier(db, sys.argv[1])
    ctx = RequestContext(ip="203.0.113.7", user_agent=sys.argv[2])
    trusted.trust(db, settings=get_settings(), user=user, ctx=ctx)
"""

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_trusted_browsers_are_listed_with_the_sessions_and_can_be_stopped(
    server: AppServer, page: Page, user: tuple[str, str]
) -> None:
    # "Trust this browser" on the sign-in's second step is /verify's (another test):
    # here the service itself trusts a browser for the user.
    made = subprocess.run(
        [sys.executable, "-c", TRUST, user[0], FIREFOX],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    open_profile(page, server, user[0])

    table = page.get_by_role("table").filter(has_text="Expires")
    expect(page.get_by_role("heading", name="Trusted browsers")).to_be_visible()
    row = table.get_by_role("row").filter(has_text="203.0.113.7")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Firefox")
    row.get_by_role("button", name=re.compile(r"^Stop trusting Firefox.* since 20")).click()
    expect(page.get_by_role("status")).to_contain_text("That browser is no longer trusted")
    expect(page.get_by_role("heading", name="Trusted browsers")).to_have_count(0)
    revoked = server.query(
        "SELECT count(*) FROM trusted_browsers JOIN users ON users.id = trusted_browsers.user_id "
        "WHERE users.username = ? AND revoked_at IS NOT NULL",
        user[0],
    )
    assert revoked == [(1,)]
