"""/dev/mailbox: mails kept by the console sender, for development without SMTP."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import reflex as rx

from admin_app import paths
from admin_app.mail import mailbox
from admin_app.security.client_ip import is_local_request
from admin_app.settings import get_settings


@dataclasses.dataclass(frozen=True)
class MailCard:
    recipient: str
    subject: str
    text: str
    sent_at: str


class MailboxState(rx.State):
    enabled: bool = False
    mails: list[MailCard] = []

    @rx.event
    async def load(self) -> None:
        settings = get_settings()
        # Codes land here: only a developer on this machine may read them.
        self.enabled = settings.dev_mailbox and is_local_request(
            self.router.session.client_ip, self.router.headers.raw_headers.keys()
        )
        if not self.enabled:
            self.mails = []
            return
        stored = await asyncio.to_thread(mailbox.read, settings.mailbox_dir)
        self.mails = [
            MailCard(
                recipient=mail.to,
                subject=mail.subject,
                text=mail.text,
                sent_at=dt.datetime.fromtimestamp(mail.sent_at, dt.UTC).strftime(
                    "%Y-%m-%d %H:%M:%S UTC"
                ),
            )
            for mail in stored
        ]


def mail_card(mail: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(mail.subject, size="3"),
            rx.text("To ", mail.recipient, " at ", mail.sent_at, size="1", color_scheme="gray"),
            rx.el.pre(mail.text, style={"whiteSpace": "pre-wrap", "margin": 0}),
            spacing="2",
        ),
        width="100%",
        class_name="mail",
    )


def mailbox_page() -> rx.Component:
    return rx.container(
        rx.vstack(
            rx.heading("Development mailbox", size="7", as_="h1"),
            rx.cond(
                MailboxState.enabled,
                rx.vstack(
                    rx.text(
                        "SMTP_HOST is not set, so mail is printed to the console and kept here.",
                        color_scheme="gray",
                    ),
                    rx.button("Refresh", on_click=MailboxState.load, variant="soft"),
                    rx.cond(
                        MailboxState.mails.length() > 0,
                        rx.foreach(MailboxState.mails, mail_card),
                        rx.text("No mail yet."),
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.text(
                    "Not here: the development mailbox exists only in development, "
                    "without SMTP_HOST, for requests from this machine."
                ),
            ),
            spacing="4",
            padding_y="2rem",
        )
    )


# Not even part of the build unless APP_URL is a loopback address (the build
# is made per APP_URL): a server that others reach has no such page.
if get_settings().app_is_loopback:
    rx.page(route=paths.MAILBOX, title="Development mailbox", on_load=MailboxState.load)(
        mailbox_page
    )
