"""/profile's "Two-step verification": authenticator apps, passkeys (passkeys.py) and
recovery codes."""

from __future__ import annotations

import reflex as rx

from admin_app.ui.components.auth_card import form_error
from admin_app.ui.components.authenticator_setup import add_app_dialog, recovery_codes_panel
from admin_app.ui.components.confirm_dialog import confirm_dialog
from admin_app.ui.pages.profile.factors_state import FactorsState
from admin_app.ui.pages.profile.passkeys import passkeys_part
from admin_app.ui.pages.profile.section import section
from admin_app.ui.state.app_setup import AppSetupState


def notice(text: rx.Var) -> rx.Component:
    return rx.cond(
        text != "",
        rx.callout(
            text,
            icon="check",
            color_scheme="green",
            high_contrast=True,
            role="status",
            width="100%",
        ),
    )


def app_row(app: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(app.name),
        rx.table.cell(app.added),
        rx.table.cell(app.last_used),
        rx.table.cell(
            rx.button(
                "Remove",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=FactorsState.ask_remove(app.id, app.name),
                aria_label="Remove " + app.name,
            )
        ),
    )


def apps_list() -> rx.Component:
    return rx.cond(
        FactorsState.apps.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ("Authenticator app", "Added", "Last used", "")
                    ]
                )
            ),
            rx.table.body(rx.foreach(FactorsState.apps, app_row)),
            width="100%",
        ),
        rx.text("No authenticator app yet.", size="2"),
    )


def has_strong() -> rx.Var:
    """An app or a passkey: what recovery codes come with."""
    return (FactorsState.apps.length() > 0) | (FactorsState.passkeys.length() > 0)


def recovery_part() -> rx.Component:
    return rx.cond(
        has_strong(),
        rx.vstack(
            rx.heading("Recovery codes", size="3", as_="h3", margin_top="0.5rem"),
            rx.text(
                FactorsState.recovery_left,
                " of 10 recovery codes left. Each one signs you in once when your "
                "authenticator app or passkey is not at hand.",
                size="2",
                id="recovery-left",
            ),
            rx.button(
                "Generate new codes",
                type="button",
                variant="soft",
                on_click=FactorsState.ask_regenerate,
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
    )


def remove_dialog() -> rx.Component:
    return confirm_dialog(
        ("Remove “", FactorsState.remove_name, "”?"),
        (
            rx.cond(
                (FactorsState.apps.length() > 1) | (FactorsState.passkeys.length() > 0),
                "Its codes will no longer sign you in.",
                "Its codes will no longer sign you in. It is your last authenticator "
                "app: your recovery codes go with it.",
            ),
        ),
        action="Remove",
        on_confirm=FactorsState.remove_app(FactorsState.remove_id, FactorsState.remove_name),
        open=FactorsState.remove_id != 0,
        on_open_change=FactorsState.cancel_remove,
    )


def regenerate_dialog() -> rx.Component:
    return confirm_dialog(
        ("Generate new recovery codes?",),
        ("Your old recovery codes stop working at once, used or not.",),
        action="Generate new codes",
        on_confirm=FactorsState.regenerate,
        open=FactorsState.regenerate_asked,
        on_open_change=FactorsState.cancel_regenerate,
        danger=False,
    )


def new_codes_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Your new recovery codes"),
            rx.dialog.description("The old ones no longer work.", size="2"),
            rx.box(recovery_codes_panel(FactorsState.close_codes), margin_top="1rem"),
            max_width="30rem",
        ),
        open=FactorsState.codes_shown,
        # Escape closes it too: the codes leave the page with it.
        on_open_change=FactorsState.close_codes,
    )


def factors_section() -> rx.Component:
    return section(
        "Two-step verification",
        rx.text(
            "With an authenticator app or a passkey, every sign-in also asks for it: "
            "a stolen password or mailbox alone does not get in.",
            size="2",
            color_scheme="gray",
        ),
        notice(AppSetupState.setup_notice),
        notice(FactorsState.factors_notice),
        form_error(FactorsState.factors_error),
        apps_list(),
        rx.button(
            rx.icon("smartphone", size=16),
            "Add an authenticator app",
            type="button",
            on_click=[FactorsState.clear_notices, AppSetupState.open_setup],
        ),
        passkeys_part(),
        recovery_part(),
        add_app_dialog(FactorsState.refresh),
        remove_dialog(),
        regenerate_dialog(),
        new_codes_dialog(),
    )
