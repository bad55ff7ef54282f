""" "Confirm it's you": sensitive page actions after the sign-in's proof went stale.

The server runs with REAUTH_MINUTES=1, the shortest window (whole minutes).
The app's clock cannot be moved from here, so the module signs in everyone
its tests need at once, readies them (apps added while the proof is fresh),
and waits ONE minute for all of them (`stale`); each test then takes its
own person, in their own browser, with a proof that has run out.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import PASSWORD, AppServer, MailServer, path_is, sign_in, unique
from tests.e2e.factors_support import (
    add_first_app,
    confirm_code,
    confirm_scanned,
    open_profile,
    shown_codes,
    shown_secret,
    start_adding,
    totp_code,
    wait_for_mail,
)
from tests.e2e.test_accessibility import axe_path, report, scan_all

STALE_AFTER = 61  # seconds: REAUTH_MINUTES=1, and a second to spare


@pytest.fixture(scope="module")
def server(start_server: Callable[..., AppServer], mail_server: MailServer) -> AppServer:
    return start_server(AUTH_MODE="password", REAUTH_MINUTES="1", **mail_server.env)


@dataclasses.dataclass
class Person:
    username: str
    email: str
    page: Page
    secret: str = ""
    codes: list[str] = dataclasses.field(default_factory=list)


def new_person(server: AppServer, browser: Browser, prefix: str) -> Person:
    username = unique(prefix)
    server.create_user(username, f"{username}@example.com", full_name="Dorothy Vaughan")
    context = browser.new_context()
    context.set_default_timeout(15_000)
    return Person(username, f"{username}@example.com", context.new_page())


@pytest.fixture(scope="module")
def stale(server: AppServer, browser: Browser) -> Iterator[dict[str, Person]]:
    """Everyone signed in and readied, then one wait: every proof is stale."""
    people: dict[str, Person] = {}
    for role in ("codes", "totp", "recovery"):
        person = people[role] = new_person(server, browser, role[:3])
        open_profile(person.page, server, person.username)
        person.secret, person.codes = add_first_app(person.page, "Phone")
    keys = people["email"] = new_person(server, browser, "key")
    keys.page.goto(f"{server.url}/api-keys")
    sign_in(keys.page, keys.username)
    expect(keys.page.get_by_role("heading", name="API keys")).to_be_visible()
    admin = people["admin"] = new_person(server, browser, "adm")
    admin.page.goto(f"{server.url}/users")
    sign_in(admin.page, admin.username)
    expect(admin.page.get_by_role("heading", name="Users")).to_be_visible()
    last_sign_in = time.monotonic()

    time.sleep(max(0.0, last_sign_in + STALE_AFTER - time.monotonic()))
    yield people
    for person in people.values():
        person.page.context.close()


def reauth(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Confirm it's you")


def test_api_key_creation_works_right_after_sign_in(server: AppServer, page: Page) -> None:
    username = unique("now")
    server.create_user(username, f"{username}@example.com")
    page.goto(f"{server.url}/api-keys")
    sign_in(page, username)
    expect(page).to_have_url(path_is("/api-keys"))
    page.get_by_label("Key name").fill("deploy")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_have_text(re.compile(r"^ak_"))
    expect(reauth(page)).to_have_count(0)


def test_new_codes_after_a_stale_proof_take_a_wrong_then_the_right_password(
    stale: dict[str, Person], mail_server: MailServer
) -> None:
    person = stale["codes"]
    page = person.page
    page.get_by_role("button", name="Generate new codes").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Generate new codes").click()

    dialog = reauth(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This change needs a fresh proof that it is you.")
    # The first way offered is the password, and its field has the focus.
    expect(dialog.get_by_label("Password")).to_be_focused()
    for way in ("Use your authenticator app", "Use a recovery code", "Email me a code"):
        expect(dialog.get_by_role("button", name=way)).to_be_visible()
    # Asking opened the dialog instead of an error on the page.
    expect(page.get_by_role("alert")).to_have_count(0)
    found: list[str] = []
    axe = axe_path()
    if axe is not None and axe.is_file():
        found += scan_all(page, axe, "/profile Confirm it's you")

    dialog.get_by_label("Password").fill("not the password at all")
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog.get_by_role("alert")).to_have_text("That password is not right.")
    expect(dialog.get_by_label("Password")).to_have_value("")
    if axe is not None and axe.is_file():
        found += scan_all(page, axe, "/profile Confirm it's you (wrong password)")
    # Nothing was made yet.
    expect(page.get_by_role("dialog", name="Your new recovery codes")).to_have_count(0)

    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_have_count(0)
    # The action that asked runs again by itself.
    shown = page.get_by_role("dialog", name="Your new recovery codes")
    expect(shown).to_be_visible()
    new = shown_codes(page)
    assert not set(new) & set(person.codes)
    wait_for_mail(mail_server.inbox, person.email, "new recovery codes")
    shown.get_by_role("button", name="I have saved them").click()
    expect(shown).to_have_count(0)

    # The proof is fresh now: the next sensitive action asks nothing.
    page.get_by_role("button", name="Generate new codes").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Generate new codes").click()
    expect(page.get_by_role("dialog", name="Your new recovery codes")).to_be_visible()
    expect(reauth(page)).to_have_count(0)
    report(found)


def test_removing_an_app_takes_a_code_from_the_app(stale: dict[str, Person]) -> None:
    person = stale["totp"]
    page = person.page
    page.get_by_role("button", name="Remove Phone").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Remove").click()

    dialog = reauth(page)
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Use your authenticator app").click()
    field = dialog.get_by_label("Code from your authenticator app")
    expect(field).to_be_focused()
    field.fill("000000")
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog.get_by_role("alert")).to_contain_text("That code is not right.")
    # (The page behind the modal dialog is hidden from the accessibility tree.)
    expect(page.locator("table", has_text="Phone")).to_have_count(1)

    field.fill(totp_code(person.secret))
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="“Phone” was removed.")).to_be_visible()
    expect(page.get_by_text("No authenticator app yet.")).to_be_visible()


def test_adding_an_app_takes_a_recovery_code_then_goes_on_to_the_qr_code(
    stale: dict[str, Person], server: AppServer
) -> None:
    person = stale["recovery"]
    page = person.page
    start_adding(page, "Tablet")

    dialog = reauth(page)
    expect(dialog).to_be_visible()
    # One dialog at a time: the add-an-app dialog waits behind the proof.
    expect(page.get_by_role("dialog")).to_have_count(1)
    dialog.get_by_role("button", name="Use a recovery code").click()
    expect(dialog.get_by_label("Recovery code")).to_be_focused()
    dialog.get_by_label("Recovery code").fill(person.codes[0].upper())
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_have_count(0)

    # The app's name was kept: the flow goes on at the QR code.
    scan = page.get_by_role("dialog", name="Scan the QR code")
    expect(scan).to_be_visible()
    expect(scan.get_by_role("img", name="QR code for Tablet")).to_be_visible()
    confirm_scanned(page, shown_secret(page))
    expect(page.get_by_role("dialog")).to_have_count(0)
    table = page.get_by_role("table").filter(has_text="Authenticator app")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table).to_contain_text("Tablet")
    expect(page.locator("#recovery-left")).to_contain_text("9 of 10")
    used = server.query(
        "SELECT count(*) FROM recovery_codes JOIN users ON users.id = recovery_codes.user_id "
        "WHERE users.username = ? AND used_at IS NOT NULL",
        person.username,
    )
    assert used == [(1,)]


def test_api_key_after_a_stale_proof_takes_an_emailed_code_and_escape_cancels(
    stale: dict[str, Person], mail_server: MailServer, server: AppServer
) -> None:
    person = stale["email"]
    page = person.page
    page.get_by_label("Key name").fill("ci")
    page.get_by_role("button", name="Create key").click()
    dialog = reauth(page)
    expect(dialog).to_be_visible()
    # No app: the password or a mailed code.
    expect(dialog.get_by_role("button", name="Use your authenticator app")).to_have_count(0)
    expect(dialog.get_by_role("button", name="Use a recovery code")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator("#new-key")).to_have_count(0)
    assert key_count(server, person.username) == 0

    page.get_by_label("Key name").fill("ci")
    page.get_by_role("button", name="Create key").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Email me a code").click()
    expect(dialog.get_by_role("status")).to_contain_text("We sent a code to")
    field = dialog.get_by_label("Code from the email")
    expect(field).to_be_focused()
    field.fill(confirm_code(mail_server.inbox, person.email))
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_have_count(0)

    new_key = page.locator("#new-key")
    expect(new_key).to_have_text(re.compile(r"^ak_[0-9a-f]+_\S+$"))
    expect(page.get_by_role("row").filter(has_text="ci")).to_have_count(1)
    answer = httpx.get(
        f"{server.url}/auth/me", headers={"X-API-Key": new_key.inner_text()}, timeout=10
    )
    assert answer.status_code == 200 and answer.json()["username"] == person.username
    assert key_count(server, person.username) == 1


def key_count(server: AppServer, username: str) -> int:
    rows = server.query(
        "SELECT count(*) FROM api_keys JOIN users ON users.id = api_keys.user_id "
        "WHERE users.username = ?",
        username,
    )
    return int(rows[0][0])


def test_make_admin_after_a_stale_proof_asks_then_goes_through(
    stale: dict[str, Person], server: AppServer
) -> None:
    person = stale["admin"]
    page = person.page
    with httpx.Client(base_url=server.url, timeout=30) as api:
        login = api.post("/auth/login", json={"username": person.username, "password": PASSWORD})
        assert login.status_code == 200, login.text
        target = unique("tgt")
        made = api.post(
            "/api/users",
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            json={
                "username": target,
                "full_name": "Mary Jackson",
                "email": f"{target}@example.com",
                "password": PASSWORD,
            },
        )
        assert made.status_code == 201, made.text

    page.get_by_label("Search").fill(target)
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name=f"Actions for {target}").click()
    page.get_by_role("menuitem", name="Make Admin", exact=True).click()
    dialog = reauth(page)
    expect(dialog).to_be_visible()
    row = page.get_by_role("row").filter(has_text=target)
    expect(row.get_by_text("Admin", exact=True)).to_have_count(0)

    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text(f"{target} is now an Admin.")
    expect(row.get_by_text("Admin", exact=True)).to_be_visible()

    # Fresh for a minute now: a reset link asks nothing.
    expect(page.get_by_role("menu")).to_have_count(0)
    page.get_by_role("button", name=f"Actions for {target}").click()
    page.get_by_role("menuitem", name="Generate reset link").click()
    expect(page.locator("#reset-url")).to_contain_text("/reset-password?token=")
    expect(reauth(page)).to_have_count(0)
