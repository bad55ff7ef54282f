"""Security notices: the mail a user gets when something changes on their account.

Services call `tell` inside their transaction; the mail goes out only once
that transaction has committed, and never if it rolls back. Sending inside
the transaction would hold SQLite's one write lock (and a pooled connection)
for as long as a slow or dead mail server takes, and would tell the user of
a change that then did not happen.

`detail`, by event (every key required, no other accepted):

    NEW_SIGNIN                  device ("Chrome on Linux"), ip
    PASSWORD_CHANGED            -
    FACTOR_ADDED                factor ("authenticator app “Phone”")
    FACTOR_REMOVED              factor
    FACTORS_RESET               -   (an administrator reset the user's factors)
    RECOVERY_CODE_USED          left (int: codes still unused)
    RECOVERY_CODES_REGENERATED  -
    API_KEY_CREATED             key_name
    EMAIL_CHANGED               old_email, new_email (both are mailed; `to` is one of them)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from admin_app import paths
from admin_app.clock import now
from admin_app.mail import security_templates as words
from admin_app.mail.outbox import send_rendered
from admin_app.mail.senders import Sender
from admin_app.mail.templates import Rendered
from admin_app.services.audit import trail
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

log = logging.getLogger(__name__)


class Event(enum.StrEnum):
    """Each value (the member's name in lower case) is what a "mail.failed" audit row names."""

    NEW_SIGNIN = enum.auto()
    PASSWORD_CHANGED = enum.auto()
    FACTOR_ADDED = enum.auto()
    FACTOR_REMOVED = enum.auto()
    FACTORS_RESET = enum.auto()
    RECOVERY_CODE_USED = enum.auto()
    RECOVERY_CODES_REGENERATED = enum.auto()
    API_KEY_CREATED = enum.auto()
    EMAIL_CHANGED = enum.auto()
    PASSKEY_CLONED = enum.auto()


# The `MailNotices` field (MAIL_ON_<FIELD>) that turns each event's mail off.
SETTING: dict[Event, str] = {
    Event.NEW_SIGNIN: "new_signin",
    Event.PASSWORD_CHANGED: "password_changed",
    Event.FACTOR_ADDED: "factor_changed",
    Event.FACTOR_REMOVED: "factor_changed",
    Event.FACTORS_RESET: "factor_changed",
    Event.RECOVERY_CODE_USED: "recovery_codes",
    Event.RECOVERY_CODES_REGENERATED: "recovery_codes",
    Event.API_KEY_CREATED: "api_key_created",
    Event.EMAIL_CHANGED: "email_changed",
    Event.PASSKEY_CLONED: "factor_changed",
}

DETAIL: dict[Event, frozenset[str]] = {
    Event.NEW_SIGNIN: frozenset({"device", "ip"}),
    Event.PASSWORD_CHANGED: frozenset(),
    Event.FACTOR_ADDED: frozenset({"factor"}),
    Event.FACTOR_REMOVED: frozenset({"factor"}),
    Event.FACTORS_RESET: frozenset(),
    Event.RECOVERY_CODE_USED: frozenset({"left"}),
    Event.RECOVERY_CODES_REGENERATED: frozenset(),
    Event.API_KEY_CREATED: frozenset({"key_name"}),
    Event.EMAIL_CHANGED: frozenset({"old_email", "new_email"}),
    Event.PASSKEY_CLONED: frozenset({"factor"}),
}

_PENDING = "admin_app.mail.notices.pending"  # told in a transaction still open
_READY = "admin_app.mail.notices.ready"  # committed: sent once the transaction has ended
_LISTENING = "admin_app.mail.notices.listening"


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Mail:
    settings: Settings
    to: str
    rendered: Rendered
    event: Event
    ctx: RequestContext | None
    user_id: int | None
    sender: Sender | None
    bind: Engine | Connection
    # The innermost transaction (a SAVEPOINT, or the outermost) it was told in.
    told_in: SessionTransaction | None


def tell(
    session: Session,
    *,
    settings: Settings,
    to: str,
    event: Event,
    ctx: RequestContext | None = None,
    user_id: int | None = None,
    sender: Sender | None = None,
    **detail: str | int,
) -> None:
    """Mail `to` about `event` once `session`'s transaction commits (unless turned off).

    A mail that cannot be sent is logged and kept as a "mail.failed" audit
    event; it never fails the commit.
    """
    expected = DETAIL[event]
    if set(detail) != expected:
        raise TypeError(f"{event} takes the detail {sorted(expected)}, not {sorted(detail)}")
    if not getattr(settings.notices, SETTING[event]):
        return
    told_in = session.get_nested_transaction() or session.get_transaction()
    bind = session.get_bind()
    for address, rendered in _render(settings, event, now(), to, detail):
        mail = _Mail(
            settings=settings,
            to=address,
            rendered=rendered,
            event=event,
            ctx=ctx,
            user_id=user_id,
            sender=sender,
            bind=bind,
            told_in=told_in,
        )
        session.info.setdefault(_PENDING, []).append(mail)
    _listen(session)


def _render(
    settings: Settings, event: Event, when: dt.datetime, to: str, detail: dict[str, str | int]
) -> list[tuple[str, Rendered]]:
    app = settings.app_name
    profile_url = settings.app_url + paths.PROFILE
    match event:
        case Event.NEW_SIGNIN:
            rendered = words.new_signin_mail(
                app_name=app,
                when=when,
                device=str(detail["device"]),
                ip=str(detail["ip"]),
                profile_url=profile_url,
            )
        case Event.PASSWORD_CHANGED:
            rendered = words.password_changed_mail(
                app_name=app, when=when, login_url=settings.app_url + paths.LOGIN
            )
        case Event.FACTOR_ADDED:
            rendered = words.factor_added_mail(
                app_name=app, when=when, factor=str(detail["factor"]), profile_url=profile_url
            )
        case Event.FACTOR_REMOVED:
            rendered = words.factor_removed_mail(
                app_name=app, when=when, factor=str(detail["factor"]), profile_url=profile_url
            )
        case Event.FACTORS_RESET:
            rendered = words.factors_reset_mail(app_name=app, when=when, profile_url=profile_url)
        case Event.RECOVERY_CODE_USED:
            rendered = words.recovery_code_used_mail(
                app_name=app, when=when, left=int(detail["left"]), profile_url=profile_url
            )
        case Event.RECOVERY_CODES_REGENERATED:
            rendered = words.recovery_codes_regenerated_mail(
                app_name=app, when=when, profile_url=profile_url
            )
        case Event.API_KEY_CREATED:
            rendered = words.api_key_created_mail(
                app_name=app,
                when=when,
                key_name=str(detail["key_name"]),
                api_keys_url=settings.app_url + paths.API_KEYS,
            )
        case Event.PASSKEY_CLONED:
            rendered = words.passkey_cloned_mail(
                app_name=app, when=when, factor=str(detail["factor"]), profile_url=profile_url
            )
        case Event.EMAIL_CHANGED:
            return _email_changed(app, when, to, str(detail["old_email"]), str(detail["new_email"]))
    return [(to, rendered)]


def _email_changed(
    app: str, when: dt.datetime, to: str, old: str, new: str
) -> list[tuple[str, Rendered]]:
    # Both addresses hear of it: the old one is where a hijacker's change is noticed.
    if to.casefold() not in (old.casefold(), new.casefold()):
        raise ValueError("an email change is mailed to its old and its new address")

    def mail(to_old: bool) -> Rendered:
        return words.email_changed_mail(
            app_name=app, when=when, old_email=old, new_email=new, to_old=to_old
        )

    if old.casefold() == new.casefold():
        return [(new, mail(False))]
    return [(old, mail(True)), (new, mail(False))]


def _listen(session: Session) -> None:
    if session.info.get(_LISTENING):
        return
    session.info[_LISTENING] = True
    sa_event.listen(session, "after_commit", _after_commit)
    sa_event.listen(session, "after_soft_rollback", _after_soft_rollback)
    sa_event.listen(session, "after_transaction_end", _after_transaction_end)


def _after_commit(session: Session) -> None:
    # Fired for a released SAVEPOINT too: its mails wait for the outermost commit.
    if session.in_nested_transaction():
        return
    session.info.setdefault(_READY, []).extend(session.info.pop(_PENDING, []))


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # after_rollback would miss a rollback of a transaction a failed flush had
    # already rolled back in the database; this fires for every rollback.
    pending: list[_Mail] = session.info.get(_PENDING, [])
    if previous_transaction.parent is None:
        pending.clear()
        return
    pending[:] = [m for m in pending if not _inside(m.told_in, previous_transaction)]


def _inside(told_in: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while told_in is not None:
        if told_in is ended:
            return True
        told_in = told_in.parent
    return False


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    # Here the outermost transaction is over and its connection back in the pool.
    # Whatever was not committed (a session closed without commit) is dropped.
    session.info.pop(_PENDING, None)
    for mail in session.info.pop(_READY, []):
        _send(mail)


def _send(mail: _Mail) -> None:
    try:
        send_rendered(mail.settings, to=mail.to, rendered=mail.rendered, sender=mail.sender)
    except Exception as exc:
        log.warning(
            "security mail %s for user %s not sent: %r",
            mail.event.value,
            mail.user_id,
            exc.__cause__ or exc,
        )
        _record_failure(mail)


def _record_failure(mail: _Mail) -> None:
    # A Connection bind belongs to a caller that manages it: the row is written
    # on it and lands with whatever its owner has open there (a second
    # connection could wait on that owner's SQLite write lock).
    try:
        with Session(mail.bind, expire_on_commit=False) as own:
            trail.record(
                own,
                kind="mail.failed",
                ctx=mail.ctx or RequestContext(ip="", user_agent=""),
                user_id=mail.user_id,
                what=mail.event.value,
            )
            own.commit()
    except Exception:
        log.exception("could not record the failed security mail %s", mail.event.value)
