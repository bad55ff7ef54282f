"""The 6-digit code field: one real input over six boxes that show the digits.

One real input, so paste, the phone's one-time-code autofill, screen readers
and the keyboard all work; the sixth digit submits. The same field takes the
mailed code and the authenticator app's code: only its label differs.
"""

from __future__ import annotations

import reflex as rx

from admin_app.security.codes import DIGITS
from admin_app.ui.pages.verify.state import TOTP, VerifyState

LEAD_ID = "verify-lead"


def digit_box(index: int) -> rx.Component:
    filled = VerifyState.digits[index] != ""
    current = VerifyState.code.length() == index
    return rx.center(
        rx.text(VerifyState.digits[index], size="6", weight="bold"),
        width="2.75rem",
        height="3.25rem",
        border_radius="var(--radius-3)",
        border=rx.cond(
            current,
            f"2px solid {rx.color('accent', 9)}",
            rx.cond(filled, f"1px solid {rx.color('gray', 9)}", f"1px solid {rx.color('gray', 7)}"),
        ),
        background=rx.color("gray", 1),
    )


def code_boxes() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            rx.cond(VerifyState.method == TOTP, "Authenticator code", "Verification code"),
            html_for="code",
            style={"fontWeight": 500, "fontSize": "0.875rem"},
        ),
        rx.box(
            rx.hstack(*[digit_box(i) for i in range(DIGITS)], spacing="2", aria_hidden="true"),
            # Uncontrolled: a value echoed back from the server would race fast
            # typing and drop digits. A new `key` mounts a fresh, empty input,
            # focused (a wrong code, or a switch to another way).
            rx.el.input(
                id="code",
                name="code",
                key=VerifyState.attempt,
                on_change=VerifyState.type_code,
                input_mode="numeric",
                auto_complete="one-time-code",
                max_length=DIGITS,
                auto_focus=True,
                disabled=VerifyState.busy,
                aria_describedby=LEAD_ID,
                style={
                    "position": "absolute",
                    "inset": "0",
                    "width": "100%",
                    "opacity": "0",
                    "cursor": "text",
                    "fontSize": "16px",
                },
            ),
            position="relative",
            # The real input is transparent: its focus ring is drawn round the boxes.
            border_radius="var(--radius-3)",
            _focus_within={"outline": "2px solid var(--focus-8)", "outline_offset": "4px"},
        ),
        spacing="2",
        align="center",
        width="100%",
    )
