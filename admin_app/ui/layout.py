"""The signed-in frame: sidebar (drawer on narrow screens) with the user menu at its foot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from admin_app import paths
from admin_app.settings import get_settings
from admin_app.ui import page_catalogue
from admin_app.ui.components.motion import reduced_motion
from admin_app.ui.page_catalogue import NavEntry, ProtectedPage
from admin_app.ui.state.auth import AuthState

SIDEBAR_WIDTH = "15rem"

# Keyboard focus across route changes and vanishing elements, installed once per tab:
# a new page focuses its h1; when the focused element goes away (a dialog closes,
# a row is deleted) focus returns to the element outside dialogs and menus that
# had it last (the dialog's opener), or else to the page's h1, never to <body>.
FOCUS_SCRIPT = """(() => {
  if (!window.__adminFocus) {
    const seen = { last: null, opener: null, heading: null };
    const layered = '[role=dialog],[role=alertdialog],[role=menu],[role=listbox]';
    document.addEventListener('focusin', (event) => {
      if (!(event.target instanceof HTMLElement)) return;
      seen.last = event.target;
      if (!event.target.closest(layered)) seen.opener = event.target;
    });
    const settle = (newPage) => {
      const h1 = document.querySelector('#main-content h1');
      const active = document.activeElement;
      const lost = seen.last !== null && !seen.last.isConnected;
      if (newPage && h1 && h1 !== seen.heading) {
        seen.heading = h1;
      } else if ((active && active !== document.body) || document.querySelector(layered)) {
        // Focus is somewhere, or an open dialog or menu manages its own.
        return;
      } else if (lost && seen.opener && seen.opener.isConnected && seen.opener !== seen.last) {
        seen.opener.focus();
        return;
      } else if (!h1 || (!lost && h1 === seen.heading)) {
        return;
      }
      seen.heading = h1;
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    };
    new MutationObserver(() => settle(false)).observe(document.body, {
      childList: true,
      subtree: true,
    });
    window.__adminFocus = settle;
  }
  window.__adminFocus(true);
})()"""


def brand() -> rx.Component:
    return rx.hstack(
        rx.image(src="/logo.svg", width="28px", height="28px", alt=""),
        rx.heading(get_settings().app_name, size="4", weight="bold"),
        align="center",
        spacing="2",
    )


def nav_link(label: str, icon: str, href: str) -> rx.Component:
    active = AuthState.router.page.path == href
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label, size="3"), align="center", spacing="3"),
        href=href,
        underline="none",
        color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 12)),
        background=rx.cond(active, rx.color("accent", 3), "transparent"),
        border_radius="var(--radius-2)",
        padding="0.5rem 0.75rem",
        width="100%",
        _hover={"background": rx.color("gray", 3)},
    )


def nav_item(page: ProtectedPage) -> rx.Component:
    assert page.nav is not None
    link = nav_link(page.nav.label, page.nav.icon, page.route)
    # Shown only to those allowed; the guard refuses the page to the others.
    if page.permission is None:
        return link
    return rx.cond(AuthState.permissions.contains(page.permission), link)


def nav() -> rx.Component:
    return rx.vstack(
        *[nav_item(page) for page in page_catalogue.nav_entries()],
        spacing="1",
        width="100%",
        role="navigation",
        aria_label="Main",
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                # The initials repeat the name: hidden from screen readers (the avatar's
                # own props go to its image, hence the span).
                rx.el.span(
                    rx.avatar(fallback=AuthState.initials, size="2", radius="full"),
                    aria_hidden="true",
                    style={"display": "inline-flex"},
                ),
                rx.vstack(
                    rx.text(AuthState.full_name, size="2", weight="medium", truncate=True),
                    rx.text(AuthState.email, size="1", color_scheme="gray", truncate=True),
                    spacing="0",
                    align="start",
                    min_width="0",
                ),
                variant="ghost",
                color_scheme="gray",
                height="auto",
                padding="0.5rem",
                width="100%",
                justify="start",
                # The name starts with the words shown (WCAG 2.5.3), then says what it is.
                aria_label=AuthState.full_name + " " + AuthState.email + ", user menu",
                id="user-menu",
            )
        ),
        rx.menu.content(
            rx.menu.item(rx.icon("user", size=16), "Profile", on_click=rx.redirect(paths.PROFILE)),
            rx.menu.item(
                rx.icon("sun-moon", size=16), "Light / dark theme", on_click=rx.toggle_color_mode
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.icon("log-out", size=16),
                "Sign out",
                color_scheme="red",
                on_click=AuthState.sign_out,
            ),
        ),
        modal=False,
    )


def sidebar_body() -> rx.Component:
    return rx.vstack(
        brand(),
        rx.separator(),
        nav(),
        rx.spacer(),
        rx.separator(),
        user_menu(),
        height="100%",
        width="100%",
        padding="1rem",
        spacing="3",
    )


def sidebar() -> rx.Component:
    return rx.box(
        sidebar_body(),
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
    )


def top_bar() -> rx.Component:
    """Narrow screens: the same sidebar, in a drawer behind a menu button."""
    return rx.hstack(
        rx.drawer.root(
            rx.drawer.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", aria_label="Menu")),
            rx.drawer.overlay(),
            rx.drawer.portal(
                rx.drawer.content(
                    sidebar_body(),
                    width="80%",
                    max_width=SIDEBAR_WIDTH,
                    height="100%",
                    background=rx.color("gray", 2),
                )
            ),
            direction="left",
        ),
        brand(),
        padding="0.75rem 1rem",
        align="center",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        width="100%",
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), height="100vh", aria_label="Loading")


def refusal() -> rx.Component:
    return rx.callout(
        rx.text(
            "You need the ",
            rx.code(AuthState.refused),
            " permission to see this page. ",
            rx.link("Back to the dashboard", href=paths.DASHBOARD, underline="always"),
        ),
        icon="shield-x",
        color_scheme="red",
        role="alert",
        width="100%",
    )


def signed_in_frame(content: rx.Component) -> rx.Component:
    return rx.cond(
        AuthState.signed_in,
        rx.flex(
            rx.desktop_only(sidebar()),
            rx.box(
                rx.mobile_and_tablet(top_bar()),
                rx.box(
                    rx.cond(AuthState.refused != "", refusal(), content),
                    id="main-content",
                    on_mount=rx.call_script(FOCUS_SCRIPT),
                    padding=["1rem", "1rem", "1.5rem", "2rem"],
                    max_width="72rem",
                ),
                flex="1",
                min_width="0",
            ),
            min_height="100vh",
        ),
        loading(),
    )


def protected_page(
    route: str,
    title: str,
    *,
    permission: str | None = None,
    nav: NavEntry | None = None,
    on_load: Sequence[Any] = (),
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Declare a signed-in page: `@rx.page` inside the sidebar frame, guarded on the server.

    At every load the guard checks the session, then `permission` (a name
    registered with `admin_app.services.access.permissions.register`), and only then
    runs `on_load`. `nav` puts the page in the sidebar, shown only to those
    who hold `permission`. Event handlers of the page must still check the
    permission through the services they call: hiding a page is not protection.
    """

    def decorate(page: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        page_catalogue.add(
            ProtectedPage(
                route=route, title=title, permission=permission, nav=nav, on_load=tuple(on_load)
            )
        )

        def framed() -> rx.Component:
            return rx.fragment(reduced_motion(), signed_in_frame(page()))

        framed.__name__ = page.__name__
        return rx.page(
            route=route,
            title=f"{title} | {get_settings().app_name}",
            on_load=AuthState.guard,
        )(framed)

    return decorate
