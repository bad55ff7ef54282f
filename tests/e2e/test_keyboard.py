"""Every flow by keyboard alone, in Chromium: Tab, Shift+Tab, Enter, Space and Escape.

Text is typed into the focused field (`page.keyboard.type`); nothing is
clicked or filled. Inside an open menu the arrow keys move between items, as
the WAI-ARIA menu pattern has it (Tab leaves a menu there). At each Tab stop
the focused element must show a focus indicator; after each route change focus
must sit on the page's first field or its h1; a dialog must take focus, keep
it, close on Escape and give focus back to what opened it.

One server per sign-in mode: the tests are grouped by mode, each group
starting its server the first time it is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import PASSWORD, AppServer, MailServer, path_is, unique

KEYS = {"Tab", "Shift+Tab", "Enter", "Space", "Escape"}
MENU_KEYS = {"ArrowDown", "ArrowUp"}
SWITCH = "Ask for an email code after my password"

# What the focused element is called: its label, aria-label or text.
NAME_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return '';
  const label = el.labels && el.labels.length ? el.labels[0].textContent : '';
  return (el.getAttribute('aria-label') || label || el.textContent || '').trim();
}"""

# '' when the focused element shows a focus indicator, else what is wrong.
# (Not `:focus-visible` on the element itself: a date input's focus is on its
# inner fields, so it matches neither; the outlines checked are those Radix
# draws for keyboard focus only.)
# Radix draws rings as an outline on the element, on its ::before (switch,
# checkbox), or on a wrapper with :focus-within (text fields, the code boxes);
# a highlighted menu item is filled instead.
RING_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'nothing is focused';
  const outlined = (node, pseudo) => {
    const s = getComputedStyle(node, pseudo);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0
      && s.outlineColor !== 'rgba(0, 0, 0, 0)' && s.outlineColor !== 'transparent';
  };
  if (outlined(el, null) || outlined(el, '::before') || outlined(el, '::after')) return '';
  // A date input's focus is on one of its inner fields, which Chrome highlights.
  if (el.matches('input[type=date]')) return '';
  let node = el.parentElement;
  for (let depth = 0; node && depth < 3; depth++, node = node.parentElement) {
    if (node.matches(':focus-within') && outlined(node, null)) return '';
  }
  if (el.matches('[data-highlighted]')) {
    const bg = getComputedStyle(el).backgroundColor;
    if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return '';
  }
  return 'no visible focus indicator on ' + el.outerHTML.slice(0, 160);
}"""

IN_MENU_JS = """() => !!document.activeElement
  && !!document.activeElement.closest('[role=menu]')"""

IN_DIALOG_JS = """() => !!document.activeElement
  && !!document.activeElement.closest('[role=dialog],[role=alertdialog]')"""


# The user menu's name starts with what it shows (the user's name and email),
# for voice control (WCAG 2.5.3), and ends with what it is.
USER_MENU = re.compile(r", user menu$")


# ---------------------------------------------------------------- helpers


def press(page: Page, key: str) -> None:
    assert key in KEYS | MENU_KEYS, key
    page.keyboard.press(key)


def type_text(page: Page, text: str) -> None:
    """Type into the focused field; a brisk pace so controlled inputs keep up."""
    page.keyboard.type(text, delay=20)


def focused_name(page: Page) -> str:
    return str(page.evaluate(NAME_JS))


def assert_focus_visible(page: Page) -> None:
    problem = page.evaluate(RING_JS)
    assert problem == "", problem


def tab_to(page: Page, name: str | re.Pattern[str], *, back: bool = False, limit: int = 40) -> None:
    """Tab (or Shift+Tab) until the focused element is `name`; every stop shows its focus."""
    seen: list[str] = []
    for _ in range(limit):
        press(page, "Shift+Tab" if back else "Tab")
        assert_focus_visible(page)
        current = focused_name(page)
        seen.append(current)
        if current == name if isinstance(name, str) else name.search(current):
            return
    raise AssertionError(f"never reached {name!r} by keyboard; stops: {seen}")


def menu_to(page: Page, name: str, *, limit: int = 10) -> None:
    """In an open menu, move with the arrow keys to the item `name`.

    Each step first waits for focus to be inside the menu: on a loaded machine
    the menu opens (and focuses its first item) after its animation frame, and
    a dialog that closed just before may hand focus back to the trigger late,
    which closes a non-modal menu; ArrowDown on the trigger opens it again.
    """
    seen: list[str] = []
    for _ in range(limit):
        try:
            page.wait_for_function(IN_MENU_JS, timeout=3000)
        except PlaywrightTimeoutError:
            seen.append(f"(outside the menu: {focused_name(page)})")
            press(page, "ArrowDown")
            continue
        if page.evaluate("() => document.activeElement?.getAttribute('role')") == "menuitem":
            assert_focus_visible(page)
            current = focused_name(page)
            seen.append(current)
            if current == name:
                return
        press(page, "ArrowDown")
    raise AssertionError(f"no menu item {name!r}; stops: {seen}")


def choose(page: Page, name: str) -> None:
    """Enter on the menu item `name`, then let the menu finish closing.

    The closing menu hands focus back to its trigger when its exit animation
    ends; a dialog opened by the item meanwhile pulls focus back in, selecting
    its field's text again, so anything typed before that would be replaced.
    """
    menu_to(page, name)
    press(page, "Enter")
    expect(page.get_by_role("menu")).to_have_count(0)
    page.wait_for_timeout(100)


def expect_focus_on(page: Page, selector: str) -> None:
    """`document.activeElement` comes to match `selector` (the page has just changed)."""
    page.wait_for_function(
        "(sel) => !!document.activeElement && document.activeElement.matches(sel)", arg=selector
    )


def expect_focus_named(page: Page, name: str) -> None:
    page.wait_for_function(f"(name) => ({NAME_JS})() === name", arg=name)


def expect_heading_focused(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    expect_focus_on(page, "#main-content h1")
    assert focused_name(page) == name


def expect_focus_in_dialog(page: Page) -> None:
    try:
        page.wait_for_function(IN_DIALOG_JS, timeout=5_000)
    except Exception as error:
        where = page.evaluate("() => document.activeElement?.outerHTML.slice(0, 200)")
        raise AssertionError(f"focus is not in the dialog but on {where}") from error


def assert_focus_trapped(page: Page, presses: int = 8) -> None:
    """Tab and Shift+Tab go round the open dialog and never behind it."""
    for key in ["Tab"] * presses + ["Shift+Tab"] * presses:
        press(page, key)
        assert page.evaluate(IN_DIALOG_JS), f"{key} left the dialog for {focused_name(page)!r}"
        assert_focus_visible(page)


def keyboard_sign_in(page: Page, url: str, identifier: str, password: str | None) -> None:
    """From /login: the first field has focus; type, Tab to the password, Enter."""
    page.goto(f"{url}/login")
    expect_focus_on(page, "#identifier")
    type_text(page, identifier)
    if password is not None:
        tab_to(page, "Password")
        type_text(page, password)
        tab_to(page, "Sign in")
    else:
        tab_to(page, "Continue")
    press(page, "Enter")


def keyboard_code(page: Page, code: str) -> None:
    """/verify opens on the code field; each digit typed fills the next box; the sixth submits."""
    expect(page).to_have_url(path_is("/verify"))
    expect_focus_on(page, "#code")
    assert_focus_visible(page)
    boxes = page.locator("#code").locator("xpath=..").locator("[aria-hidden=true] > div")
    expect(boxes).to_have_count(6)
    for index, digit in enumerate(code[:5]):
        page.keyboard.type(digit)
        expect(boxes.nth(index)).to_have_text(digit)
        expect_focus_on(page, "#code")
        page.wait_for_timeout(60)
    page.keyboard.type(code[5])


# ---------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def app(
    start_server: Callable[..., AppServer], mail_server: MailServer
) -> Callable[[str], AppServer]:
    """The server in an AUTH_MODE; asking for another mode replaces it."""
    current: dict[str, AppServer] = {}

    def get(mode: str) -> AppServer:
        if mode not in current:
            current.clear()
            current[mode] = start_server(AUTH_MODE=mode, **mail_server.env)
        return current[mode]

    return get


def new_user(server: AppServer, full_name: str = "Ada Lovelace") -> tuple[str, str]:
    """An Admin made with the CLI: (username, email)."""
    username = unique("key")
    email = f"{username}@example.com"
    server.create_user(username, email, full_name=full_name)
    return username, email


@pytest.fixture
def other(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context
    context.close()


# ---------------------------------------------------------------- sign-in, each mode


def test_password_sign_in_sidebar_user_menu_and_sign_out(
    app: Callable[[str], AppServer], page: Page
) -> None:
    server = app("password")
    username, _ = new_user(server)
    keyboard_sign_in(page, server.url, username, PASSWORD)
    expect(page).to_have_url(path_is("/"))
    expect_heading_focused(page, "Dashboard")

    # Sidebar navigation: back from the heading into the sidebar, Enter on a link.
    tab_to(page, "API keys", back=True)
    press(page, "Enter")
    expect(page).to_have_url(path_is("/api-keys"))
    expect_heading_focused(page, "API keys")

    # The user menu: Enter opens it on its first item, Escape gives focus back.
    tab_to(page, USER_MENU, back=True)
    press(page, "Enter")
    menu = page.get_by_role("menu")
    expect(menu).to_be_visible()
    menu_to(page, "Profile")
    press(page, "Escape")
    expect(menu).to_be_hidden()
    assert USER_MENU.search(focused_name(page))

    # Profile from the menu is a route change too.
    press(page, "Enter")
    menu_to(page, "Profile")
    press(page, "Enter")
    expect(page).to_have_url(path_is("/profile"))
    expect_heading_focused(page, "Profile")

    tab_to(page, USER_MENU, back=True)
    press(page, "Space")
    menu_to(page, "Sign out")
    press(page, "Enter")
    expect(page).to_have_url(path_is("/login"))
    expect_focus_on(page, "#identifier")


def test_sign_up_by_keyboard(
    app: Callable[[str], AppServer], mail_server: MailServer, page: Page
) -> None:
    server = app("password")
    username = unique("new")
    email = f"{username}@example.com"
    page.goto(f"{server.url}/signup")
    expect(page.locator("#password-hint")).to_contain_text("At least 12 characters")
    expect_focus_on(page, "#username")
    type_text(page, username)
    tab_to(page, "Full name")
    type_text(page, "Mary Jackson")
    tab_to(page, "Email")
    type_text(page, email)
    tab_to(page, "Password")
    type_text(page, "a brand new passphrase for sign-up")
    tab_to(page, "Create account")
    press(page, "Enter")

    keyboard_code(page, mail_server.inbox.code_for(email))
    expect(page).to_have_url(path_is("/"))
    expect_heading_focused(page, "Dashboard")


def test_profile_mfa_switch_and_its_confirm_dialog(
    app: Callable[[str], AppServer], page: Page
) -> None:
    server = app("password")
    username, _ = new_user(server, full_name="Hedy Lamarr")
    page.goto(f"{server.url}/profile")
    expect_focus_on(page, "#identifier")
    type_text(page, username)
    tab_to(page, "Password")
    type_text(page, PASSWORD)
    press(page, "Enter")
    expect(page).to_have_url(path_is("/profile"))
    expect_heading_focused(page, "Profile")

    switch = page.get_by_role("switch", name=SWITCH)
    tab_to(page, SWITCH)
    press(page, "Space")
    expect(page.get_by_role("status")).to_contain_text("Sign-in now asks for a code")
    expect(switch).to_be_checked()

    # Off needs proof, in a dialog: focus goes in and stays in; Escape cancels.
    press(page, "Space")
    dialog = page.get_by_role("dialog", name="Turn off MFA")
    expect(dialog).to_be_visible()
    expect_focus_in_dialog(page)
    assert_focus_trapped(page)
    press(page, "Escape")
    expect(dialog).to_be_hidden()
    expect_focus_on(page, "#mfa")
    expect(switch).to_be_checked()

    press(page, "Space")
    expect(dialog).to_be_visible()
    expect_focus_in_dialog(page)
    assert focused_name(page) == "Password"
    type_text(page, PASSWORD)
    press(page, "Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("MFA is off.")
    expect(switch).not_to_be_checked()
    expect_focus_on(page, "#mfa")


def test_sign_out_other_sessions(
    app: Callable[[str], AppServer], page: Page, other: BrowserContext
) -> None:
    server = app("password")
    username, _ = new_user(server)
    elsewhere = other.new_page()
    keyboard_sign_in(elsewhere, server.url, username, PASSWORD)
    expect(elsewhere).to_have_url(path_is("/"))

    page.goto(f"{server.url}/profile")
    expect_focus_on(page, "#identifier")
    type_text(page, username)
    tab_to(page, "Password")
    type_text(page, PASSWORD)
    press(page, "Enter")
    expect_heading_focused(page, "Profile")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)

    tab_to(page, "Sign out other sessions")
    press(page, "Enter")
    expect(page.get_by_role("status")).to_contain_text("Signed out 1 other session.")
    expect(rows).to_have_count(1)
    elsewhere.reload()
    expect(elsewhere).to_have_url(path_is("/login"))


# ---------------------------------------------------------------- /users and /api-keys


@pytest.fixture
def admin_api(app: Callable[[str], AppServer]) -> Iterator[tuple[AppServer, str, httpx.Client]]:
    server = app("password")
    admin, _ = new_user(server, full_name="Grace Hopper")
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answer = client.post("/auth/login", json={"username": admin, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield server, admin, client


def make_users(client: httpx.Client, prefix: str, count: int) -> list[str]:
    names = [f"{prefix}{index:02d}" for index in range(count)]
    for name in names:
        answer = client.post(
            "/api/users",
            json={
                "username": name,
                "full_name": "Alan Turing",
                "email": f"{name}@example.com",
                "password": PASSWORD,
            },
        )
        assert answer.status_code == 201, answer.text
    return names


def open_users(page: Page, server: AppServer, admin: str) -> None:
    keyboard_sign_in(page, server.url, admin, PASSWORD)
    expect_heading_focused(page, "Dashboard")
    tab_to(page, "Users", back=True)
    press(page, "Enter")
    expect(page).to_have_url(path_is("/users"))
    expect_heading_focused(page, "Users")


def first_username(page: Page) -> str:
    return page.locator("tbody tr").first.locator("td").first.inner_text()


def test_users_search_sort_and_paging(
    admin_api: tuple[AppServer, str, httpx.Client], page: Page
) -> None:
    server, admin, client = admin_api
    prefix = unique("pg")
    names = make_users(client, prefix, 27)
    open_users(page, server, admin)

    tab_to(page, "Search")
    type_text(page, prefix)
    pager = page.get_by_text(re.compile(r"\d+ users · page"))
    expect(pager).to_have_text("27 users · page 1 of 2")
    expect(page.locator("tbody tr")).to_have_count(25)
    expect(page.locator("tbody tr").first).to_contain_text(names[0])

    # Sort headers are buttons: Enter on "Username" turns the order round.
    tab_to(page, "Username")
    press(page, "Enter")
    expect(page.locator("tbody tr").first).to_contain_text(names[-1])
    press(page, "Space")
    expect(page.locator("tbody tr").first).to_contain_text(names[0])

    tab_to(page, "Next")
    press(page, "Enter")
    expect(pager).to_have_text("27 users · page 2 of 2")
    expect(page.locator("tbody tr")).to_have_count(2)
    assert first_username(page) == names[25]
    tab_to(page, "Previous", back=True)
    press(page, "Enter")
    expect(pager).to_have_text("27 users · page 1 of 2")


def test_users_row_actions_edit_reset_link_and_delete(
    admin_api: tuple[AppServer, str, httpx.Client], page: Page
) -> None:
    server, admin, client = admin_api
    (target,) = make_users(client, unique("row"), 1)
    open_users(page, server, admin)
    tab_to(page, "Search")
    type_text(page, target)
    expect(page.locator("tbody tr")).to_have_count(1)
    actions = f"Actions for {target}"
    notice = page.get_by_role("status")

    # Edit: the dialog takes focus on its field, keeps it, Escape gives it back.
    tab_to(page, actions)
    press(page, "Enter")
    choose(page, "Edit name")
    dialog = page.get_by_role("dialog", name="Edit name")
    expect(dialog).to_be_visible()
    expect_focus_on(page, "#edit_full_name")
    assert_focus_trapped(page)
    press(page, "Escape")
    expect(dialog).to_be_hidden()
    expect_focus_on(page, f'[aria-label="{actions}"]')

    press(page, "Enter")
    choose(page, "Edit name")
    expect_focus_on(page, "#edit_full_name")
    # The dialog selects the field's text on focus: typing replaces the name.
    type_text(page, "Katherine Johnson")
    press(page, "Enter")
    expect(dialog).to_be_hidden()
    expect(notice).to_have_text("Saved.")
    expect(page.locator("tbody tr").first).to_contain_text("Katherine Johnson")
    expect_focus_on(page, f'[aria-label="{actions}"]')

    # Reset link: shown in a dialog; Tab cycles Copy and Done; Escape closes.
    press(page, "Enter")
    choose(page, "Generate reset link")
    reset = page.get_by_role("dialog", name=f"Reset link for {target}")
    expect(reset).to_be_visible()
    expect(page.locator("#reset-url")).to_contain_text("/reset-password")
    expect_focus_in_dialog(page)
    assert_focus_trapped(page, presses=3)
    press(page, "Escape")
    expect(reset).to_be_hidden()
    expect_focus_on(page, f'[aria-label="{actions}"]')

    # Delete: the confirm dialog; Escape keeps the user, then Delete by keyboard.
    press(page, "Enter")
    choose(page, "Delete")
    confirm = page.get_by_role("alertdialog", name=f"Delete {target}?")
    expect(confirm).to_be_visible()
    expect_focus_in_dialog(page)
    assert_focus_trapped(page, presses=3)
    press(page, "Escape")
    expect(confirm).to_be_hidden()
    expect_focus_on(page, f'[aria-label="{actions}"]')
    assert server.user_count(f"{target}@example.com") == 1

    press(page, "Enter")
    choose(page, "Delete")
    expect(confirm).to_be_visible()
    expect_focus_in_dialog(page)
    tab_to(page, "Delete")
    press(page, "Enter")
    expect(notice).to_have_text(f"{target} was deleted.")
    expect(page.locator("tbody tr")).to_have_count(0)
    # The row and its button are gone: focus falls back to the heading, not <body>.
    expect_focus_on(page, "#main-content h1")
    assert server.user_count(f"{target}@example.com") == 0


def test_api_key_create_and_revoke(
    admin_api: tuple[AppServer, str, httpx.Client], page: Page
) -> None:
    server, admin, _ = admin_api
    name = unique("ci-")
    keyboard_sign_in(page, server.url, admin, PASSWORD)
    expect_heading_focused(page, "Dashboard")
    tab_to(page, "API keys", back=True)
    press(page, "Enter")
    expect_heading_focused(page, "API keys")

    tab_to(page, "Key name")
    type_text(page, name)
    tab_to(page, "users:read")
    press(page, "Space")
    expect(page.get_by_role("checkbox", name="users:read")).to_be_checked()
    tab_to(page, "Create key")
    press(page, "Enter")
    expect(page.get_by_text("Copy your new key now")).to_be_visible()
    expect(page.locator("#new-key")).to_contain_text("ak_")
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("users:read")

    tab_to(page, f"Revoke {name}")
    press(page, "Enter")
    expect(page.get_by_role("status").filter(has_text="revoked")).to_be_visible()
    expect(row).to_have_count(0)
    expect_focus_on(page, "#main-content h1")


# ---------------------------------------------------------------- the code modes


def test_otp_sign_in_with_the_six_boxes(
    app: Callable[[str], AppServer], mail_server: MailServer, page: Page
) -> None:
    server = app("otp")
    username, email = new_user(server)
    keyboard_sign_in(page, server.url, email, None)
    keyboard_code(page, mail_server.inbox.code_for(email))
    expect(page).to_have_url(path_is("/"))
    expect_heading_focused(page, "Dashboard")
    assert username


def test_password_and_code_sign_in(
    app: Callable[[str], AppServer], mail_server: MailServer, page: Page
) -> None:
    server = app("password+otp")
    username, email = new_user(server)
    keyboard_sign_in(page, server.url, username, PASSWORD)
    keyboard_code(page, mail_server.inbox.code_for(email))
    expect(page).to_have_url(path_is("/"))
    expect_heading_focused(page, "Dashboard")


def test_users_create_dialog_by_keyboard(
    admin_api: tuple[AppServer, str, httpx.Client], page: Page
) -> None:
    server, admin, _ = admin_api
    username = unique("made")
    open_users(page, server, admin)

    tab_to(page, "Create user")
    press(page, "Enter")
    dialog = page.get_by_role("dialog", name="Create user")
    expect(dialog).to_be_visible()
    expect_focus_on(page, "#new_username")
    assert_focus_trapped(page)
    press(page, "Escape")
    expect(dialog).to_be_hidden()
    expect_focus_named(page, "Create user")

    press(page, "Space")
    expect(dialog).to_be_visible()
    expect_focus_on(page, "#new_username")
    type_text(page, username)
    tab_to(page, "Full name")
    type_text(page, "Margaret Hamilton")
    tab_to(page, "Email")
    type_text(page, f"{username}@example.com")
    tab_to(page, "Password")
    type_text(page, PASSWORD)
    press(page, "Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text(f"{username} was created.")
    expect_focus_named(page, "Create user")
    assert server.user_count(f"{username}@example.com") == 1
