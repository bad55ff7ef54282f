"""Accessibility (WCAG 2.1 AA): axe-core on every page, in both themes, wide and narrow.

axe-core comes from the npm registry: `make test` (the `axe-core` target)
unpacks it into .cache/axe-core/<version>/ and passes its path in AXE_JS.
Each scan collects its violations; a test fails at its end with all of them
(rule, impact, the elements' selectors and axe's help text), so one run
shows everything that is wrong.

Servers: password+otp (with mail) for the signed-out pages, then password
(with mail) for the signed-in pages and their dialogs. The server is
switched once, in file order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    ROOT,
    AppServer,
    MailServer,
    enter_code,
    masked,
    path_is,
    sign_in,
    unique,
    wrong_code,
)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
THEMES = ("light", "dark")
VIEWPORTS = {"wide": {"width": 1280, "height": 800}, "narrow": {"width": 375, "height": 740}}
# 1280x800 at 200 % zoom: the same CSS pixels as a 640x400 window.
ZOOMED = {"width": 640, "height": 400}


def axe_path() -> Path | None:
    given = os.environ.get("AXE_JS")
    if given:
        return Path(given)
    found = sorted((ROOT / ".cache" / "axe-core").glob("*/axe.min.js"))
    return found[-1] if found else None


@pytest.fixture(scope="module")
def axe_js() -> Path:
    path = axe_path()
    if path is None or not path.is_file():
        if os.environ.get("AXE_JS"):
            pytest.fail(f"AXE_JS names {path}, which is not there")
        pytest.skip("axe-core is not installed: run `make axe-core` (make test does)")
    return path


Mode = Callable[[str], AppServer]


@pytest.fixture(scope="module")
def app(start_server: Callable[..., AppServer], mail_server: MailServer) -> Mode:
    """The module's server in AUTH_MODE `mode`; started again only when the mode changes."""
    current: dict[str, AppServer] = {}

    def in_mode(mode: str) -> AppServer:
        if mode not in current:
            current.clear()
            current[mode] = start_server(AUTH_MODE=mode, **mail_server.env)
        return current[mode]

    return in_mode


def settle(page: Page) -> None:
    """The page has loaded, talked to the server and finished every animation."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


def scan(page: Page, axe_js: Path, where: str) -> list[str]:
    """axe's WCAG 2.0/2.1 A and AA rules on the page as it is now: one line per violation."""
    settle(page)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe_js))
    violations: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                // WCAG 2.5.3 (Label in Name); axe files it as experimental.
                rules: {'label-content-name-mismatch': {enabled: true}},
                resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target.join(' '),
                    summary: (n.failureSummary || '').split('\\n').slice(0, 3).join(' '),
                })),
            }));
        }""",
        WCAG_TAGS,
    )
    lines = []
    for v in violations:
        for node in v["nodes"][:6]:
            lines.append(
                f"{where}: {v['id']} ({v['impact']}): {v['help']} <{v['url']}>\n"
                f"    at {node['target']}: {node['summary']}"
            )
        if len(v["nodes"]) > 6:
            lines.append(f"{where}: {v['id']}: and {len(v['nodes']) - 6} more elements")
    return lines


def in_theme(page: Page, theme: str) -> None:
    """The app follows the system's colour scheme (Reflex's default, "system")."""
    expect(page.locator("html")).to_have_class(re.compile(rf"\b{theme}\b"))


def scan_all(page: Page, axe_js: Path, where: str) -> list[str]:
    """The page as it is, scanned in each theme on each viewport (both switch live)."""
    found: list[str] = []
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        in_theme(page, theme)
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            found += scan(page, axe_js, f"{where} [{theme}, {size}]")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(VIEWPORTS["wide"])
    return found


def report(found: list[str]) -> None:
    assert not found, f"{len(found)} accessibility violations:\n" + "\n".join(found)


# -- signed out (AUTH_MODE=password+otp) -----------------------------------------------------


def test_signed_out_pages_have_no_violations(
    app: Mode, mail_server: MailServer, page: Page, axe_js: Path
) -> None:
    server = app("password+otp")
    username = unique("out")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Ada Lovelace")
    found: list[str] = []

    page.goto(f"{server.url}/login")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    found += scan_all(page, axe_js, "/login")
    sign_in(page, unique("nobody"), "not the password at all")
    expect(page.get_by_role("alert")).to_be_visible()
    found += scan_all(page, axe_js, "/login (wrong password)")

    page.goto(f"{server.url}/signup")
    expect(page.locator("#password-hint")).to_contain_text("At least 12 characters")
    found += scan_all(page, axe_js, "/signup")
    page.get_by_label("Username").fill("x")
    page.get_by_label("Email").fill("not an address")
    page.get_by_label("Username").focus()
    expect(page.get_by_role("alert").first).to_be_visible()
    found += scan_all(page, axe_js, "/signup (field errors)")

    page.goto(f"{server.url}/forgot-password")
    expect(page.get_by_role("button", name="Send reset link")).to_be_visible()
    found += scan_all(page, axe_js, "/forgot-password")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status")).to_contain_text("a reset link is on its way")
    found += scan_all(page, axe_js, "/forgot-password (sent)")

    mail = mail_server.inbox.wait_for(email)
    link = re.search(r"(\S+/reset-password\?token=[\w-]+)", mail_server.inbox.text(mail))
    assert link, mail_server.inbox.text(mail)
    page.goto(link.group(1))
    expect(page.get_by_text("New password for")).to_contain_text(username)
    found += scan_all(page, axe_js, "/reset-password")
    page.get_by_label("New password", exact=True).fill("a b")
    page.get_by_label("Confirm new password").fill("a c")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_be_visible()
    found += scan_all(page, axe_js, "/reset-password (error)")

    page.goto(f"{server.url}/login")
    sign_in(page, username)
    expect(page).to_have_url(path_is("/verify"))
    expect(page.get_by_label("Verification code")).to_be_visible()
    found += scan_all(page, axe_js, "/verify")
    enter_code(page, wrong_code(mail_server.inbox.code_for(email, count=2)))
    expect(page.get_by_role("alert")).to_be_visible()
    found += scan_all(page, axe_js, "/verify (wrong code)")
    report(found)


def test_errors_and_status_changes_are_announced(
    app: Mode, mail_server: MailServer, page: Page, context: BrowserContext
) -> None:
    server = app("password+otp")
    username = unique("ann")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name="Ada Lovelace")
    page.goto(f"{server.url}/login")
    sign_in(page, username)
    expect(page).to_have_url(path_is("/verify"))
    # The resend line is a polite live region from the start; the countdown is not read out.
    status = page.locator("#resend-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("button", name=re.compile(r"Resend code in \d+ s"))).to_be_visible()
    expect(status).to_have_text("")

    # While the countdown runs: errors and notices of the other pages, in another tab.
    other = context.new_page()
    other.goto(f"{server.url}/login")
    sign_in(other, unique("nobody"), "not the password at all")
    alert = other.get_by_role("alert")
    expect(alert).to_contain_text("Wrong email, username or password")
    other.goto(f"{server.url}/signup")
    expect(other.locator("#password-hint")).to_contain_text("At least 12 characters")
    other.get_by_label("Email").fill("not an address")
    other.get_by_label("Username").focus()
    expect(other.get_by_role("alert")).to_contain_text("email")
    other.goto(f"{server.url}/forgot-password")
    other.get_by_label("Email").fill(f"{unique('nobody')}@example.com")
    other.get_by_role("button", name="Send reset link").click()
    expect(other.get_by_role("status")).to_contain_text("a reset link is on its way")
    other.close()

    # The end of the countdown is announced, then the new code.
    expect(status).to_have_text("You can ask for a new code now.", timeout=75_000)
    page.get_by_role("button", name="Resend code", exact=True).click()
    expect(status).to_have_text(f"We sent a new code to {masked(email)}.")
    mail_server.inbox.wait_for(email, count=2)
    enter_code(page, wrong_code(mail_server.inbox.code_for(email, count=2)))
    expect(page.get_by_role("alert")).to_contain_text("code")


SIGN_IN_PAGES = ("/login", "/signup", "/verify", "/forgot-password")


def test_sign_in_pages_reflow_at_200_percent_zoom(
    app: Mode, mail_server: MailServer, page: Page
) -> None:
    """1280x800 at 200 % is a 640x400 window: nothing may scroll sideways (WCAG 1.4.10)."""
    server = app("password+otp")
    username = unique("zoom")
    server.create_user(username, f"{username}@example.com")
    page.set_viewport_size(ZOOMED)
    wide: list[str] = []
    for path in SIGN_IN_PAGES:
        if path == "/verify":
            page.goto(f"{server.url}/login")
            sign_in(page, username)
            expect(page).to_have_url(path_is("/verify"))
        else:
            page.goto(f"{server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        settle(page)
        for width, height in ((640, 400), (320, 256)):
            page.set_viewport_size({"width": width, "height": height})
            sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if sizes[0] > sizes[1]:
                wide.append(f"{path} at {width}x{height}: {sizes[0]} px wide in {sizes[1]}")
        page.set_viewport_size(ZOOMED)
    assert not wide, "scrolls sideways:\n" + "\n".join(wide)


DURATIONS = """() => {
    const seconds = (list) => Math.max(...list.split(',').map(d =>
        d.trim().endsWith('ms') ? parseFloat(d) / 1000 : parseFloat(d)));
    let longest = {transition: 0, animation: 0};
    for (const el of document.querySelectorAll('*')) {
        const style = getComputedStyle(el);
        longest.transition = Math.max(longest.transition, seconds(style.transitionDuration));
        if (style.animationName !== 'none') {
            longest.animation = Math.max(longest.animation, seconds(style.animationDuration));
        }
    }
    return longest;
}"""


def test_reduced_motion_turns_off_transitions_and_animations(app: Mode, page: Page) -> None:
    server = app("password+otp")
    username = unique("mot")
    server.create_user(username, f"{username}@example.com")
    page.goto(f"{server.url}/signup")
    expect(page.get_by_role("button", name="Create account")).to_be_visible()
    settle(page)
    button = page.get_by_role("button", name="Create account")
    moving = button.evaluate("el => getComputedStyle(el).transitionDuration")
    page.emulate_media(reduced_motion="reduce")
    still = button.evaluate("el => getComputedStyle(el).transitionDuration")
    assert parse_seconds(still) <= 0.001, (moving, still)
    for path in ("/login", "/signup", "/forgot-password"):
        page.goto(f"{server.url}{path}")
        settle(page)
        longest = page.evaluate(DURATIONS)
        assert longest["transition"] <= 0.001 and longest["animation"] <= 0.001, (path, longest)


def parse_seconds(value: str) -> float:
    return max(
        float(d[:-2]) / 1000 if d.strip().endswith("ms") else float(d.strip()[:-1])
        for d in value.split(",")
    )


# -- signed in as an Admin (AUTH_MODE=password) -----------------------------------------------

SIGNED_IN_PAGES = {
    "/": "Dashboard",
    "/users": "Users",
    "/profile": "Profile",
    "/api-keys": "API keys",
    "/audit": "Audit log",
    "/reports": "Reports",
    "/setup-mfa": "Set up two-step verification",
}


@pytest.fixture(scope="module")
def admin(app: Mode) -> str:
    server = app("password")
    username = unique("boss")
    server.create_user(username, f"{username}@example.com", full_name="Grace Hopper")
    return username


def signed_in(page: Page, server: AppServer, username: str, path: str = "/") -> None:
    page.goto(f"{server.url}{path}")
    sign_in(page, username)
    expect(page).to_have_url(path_is(path))


def test_signed_in_pages_have_no_violations(
    app: Mode, admin: str, page: Page, axe_js: Path
) -> None:
    server = app("password")
    signed_in(page, server, admin)
    found: list[str] = []
    for path, heading in SIGNED_IN_PAGES.items():
        page.goto(f"{server.url}{path}")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        found += scan_all(page, axe_js, path)
    page.set_viewport_size(VIEWPORTS["narrow"])
    page.get_by_role("button", name="Menu", exact=True).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        in_theme(page, theme)
        found += scan(page, axe_js, f"/reports, menu drawer open [{theme}, narrow]")
    report(found)


def test_dialogs_have_no_violations(app: Mode, admin: str, page: Page, axe_js: Path) -> None:
    server = app("password")
    other = unique("oth")
    server.create_user(other, f"{other}@example.com", full_name="Alan Turing")
    signed_in(page, server, admin, "/users")
    found: list[str] = []

    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("dialog", name="Create user")).to_be_visible()
    found += scan_all(page, axe_js, "/users create dialog")
    page.get_by_label("Username").fill(admin)
    page.get_by_label("Full name").fill("Someone")
    page.get_by_label("Email").fill(f"{admin}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("dialog").get_by_role("alert")).to_be_visible()
    found += scan_all(page, axe_js, "/users create dialog (error)")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_label("Search").fill(other)
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name=f"Actions for {other}").click()
    expect(page.get_by_role("menu")).to_be_visible()
    found += scan_all(page, axe_js, "/users actions menu")
    page.get_by_role("menuitem", name="Generate reset link").click()
    expect(page.locator("#reset-url")).to_contain_text("/reset-password?token=")
    found += scan_all(page, axe_js, "/users reset link shown")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.goto(f"{server.url}/api-keys")
    page.get_by_label("Key name").fill("ci")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_have_text(re.compile(r"^ak_"))
    found += scan_all(page, axe_js, "/api-keys new key shown")
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#new-key")).to_have_count(0)
    page.get_by_role("button", name="Revoke ci").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    found += scan_all(page, axe_js, "/api-keys key revoked")
    report(found)


def test_mfa_confirm_dialog_has_no_violations(app: Mode, page: Page, axe_js: Path) -> None:
    server = app("password")
    username = unique("mfa")
    server.create_user(username, f"{username}@example.com", full_name="Hedy Lamarr")
    signed_in(page, server, username, "/profile")
    switch = page.get_by_role("switch", name="Ask for an email code after my password")
    switch.click()
    expect(page.get_by_role("status")).to_contain_text("Sign-in now asks for a code")
    found: list[str] = []
    switch.click()
    expect(page.get_by_role("dialog", name="Turn off MFA")).to_be_visible()
    found += scan_all(page, axe_js, "/profile MFA confirm")
    page.get_by_role("dialog").get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Turn off with password").click()
    expect(page.get_by_role("dialog").get_by_role("alert")).to_be_visible()
    found += scan_all(page, axe_js, "/profile MFA confirm (wrong password)")
    page.get_by_role("button", name="Email me a code instead").click()
    expect(page.get_by_role("dialog").get_by_label("Code")).to_be_visible()
    found += scan_all(page, axe_js, "/profile MFA confirm (code sent)")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    report(found)


def test_second_factor_dialogs_have_no_violations(app: Mode, page: Page, axe_js: Path) -> None:
    """Adding an app (each step, a wrong code), the recovery codes, /users with factors
    and its reset confirmation, /setup-mfa once set up. ("Confirm it's you" is scanned
    in tests/e2e/test_reauth_dialog.py, where a proof can go stale.)"""
    import pyotp

    server = app("password")
    username, other = unique("fac"), unique("oth")
    server.create_user(username, f"{username}@example.com", full_name="Radia Perlman")
    server.create_user(other, f"{other}@example.com", full_name="Alan Turing")
    signed_in(page, server, username, "/profile")
    found: list[str] = []

    page.get_by_role("button", name="Add an authenticator app").click()
    dialog = page.get_by_role("dialog", name="Add an authenticator app")
    expect(dialog).to_be_visible()
    found += scan_all(page, axe_js, "/profile add an app (name)")
    dialog.get_by_label("Name for this app").fill("Phone")
    dialog.get_by_role("button", name="Continue").click()
    scan_step = page.get_by_role("dialog", name="Scan the QR code")
    expect(page.locator("#totp-secret")).to_have_text(re.compile(r"^[A-Z2-7 ]{16,}$"))
    expect(page.locator("#totp-qr")).to_have_attribute("src", re.compile("^data:image/svg"))
    found += scan_all(page, axe_js, "/profile add an app (QR code)")
    scan_step.get_by_label("6-digit code from the app").fill("000000")
    scan_step.get_by_role("button", name="Add app").click()
    expect(scan_step.get_by_role("alert")).to_be_visible()
    found += scan_all(page, axe_js, "/profile add an app (wrong code)")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    scan_step.get_by_label("6-digit code from the app").fill(pyotp.TOTP(secret).now())
    scan_step.get_by_role("button", name="Add app").click()
    codes = page.get_by_role("dialog", name="Save your recovery codes")
    expect(page.locator("#recovery-codes")).to_contain_text("-")
    found += scan_all(page, axe_js, "/profile recovery codes")
    codes.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    found += scan_all(page, axe_js, "/profile with an app")

    page.get_by_role("button", name="Generate new codes").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    found += scan_all(page, axe_js, "/profile new codes confirmation")
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    page.get_by_role("button", name="Remove Phone").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    found += scan_all(page, axe_js, "/profile remove an app")
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)

    page.goto(f"{server.url}/users")
    page.get_by_label("Search").fill(username)
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_text("Authenticator", exact=True)).to_be_visible()
    found += scan_all(page, axe_js, "/users with factors")
    page.get_by_label("Search").fill(other)
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name=f"Actions for {other}").click()
    page.get_by_role("menuitem", name="Reset second factors").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    found += scan_all(page, axe_js, "/users reset second factors")
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)

    page.goto(f"{server.url}/setup-mfa")
    expect(page.get_by_role("heading", name="Your authenticator app is set up")).to_be_visible()
    found += scan_all(page, axe_js, "/setup-mfa (set up)")
    report(found)
