"""The words of the security notices: what happened, when, and what to do if it was not you.

Every value shown (a device, a key's name, an address) may come from an
attacker: a stolen password signs in with any User-Agent it likes. So each is
cut to one short line (no line breaks to fake a paragraph or a link under
ours) and escaped in the HTML. Subjects carry no such value at all.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from admin_app.mail.templates import Rendered

_LONGEST_VALUE = 120
_NOT_PRINTED = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\s]+")


def _one_line(value: str | int) -> str:
    line = _NOT_PRINTED.sub(" ", str(value)).strip()
    return line if len(line) <= _LONGEST_VALUE else line[: _LONGEST_VALUE - 1] + "…"


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _mail(
    *, subject: str, title: str, lead: str, facts: dict[str, str | int], rest: list[str]
) -> Rendered:
    """`lead` and `rest` are our sentences; the values in `facts` are anyone's."""
    shown = {name: _one_line(value) for name, value in facts.items()}
    fact_text = "\n".join(f"{name}: {value}" for name, value in shown.items())
    text = "\n\n".join([lead, fact_text, *rest]) + "\n"
    rows = "".join(
        f'<tr><td style="padding:2px 12px 2px 0;color:#555">{html.escape(name)}</td>'
        f"<td>{html.escape(value)}</td></tr>"
        for name, value in shown.items()
    )
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in rest)
    body = (
        '<div style="font-family:system-ui,sans-serif;max-width:480px">'
        f"<h2>{html.escape(title)}</h2><p>{html.escape(lead)}</p>"
        f'<table style="margin:12px 0">{rows}</table>{paragraphs}</div>'
    )
    return Rendered(subject, text, body)


def new_signin_mail(
    *, app_name: str, when: dt.datetime, device: str, ip: str, profile_url: str
) -> Rendered:
    return _mail(
        subject=f"New sign-in to your {app_name} account",
        title="New sign-in",
        lead=f"Your {app_name} account was signed in from a browser or device it has not seen.",
        facts={"When": _when(when), "Device": device, "Address": ip},
        rest=[
            f"If it was you, there is nothing to do. Your account: {profile_url}",
            "If this was not you, reset your password now from the login page "
            "and tell an administrator.",
        ],
    )


def password_changed_mail(*, app_name: str, when: dt.datetime, login_url: str) -> Rendered:
    return _mail(
        subject=f"Your {app_name} password was changed",
        title="Your password was changed",
        lead=f"The password of your {app_name} account was changed.",
        facts={"When": _when(when)},
        rest=[
            "Every other session was signed out and your API keys were revoked: "
            "make new keys for your scripts.",
            "If this was not you, reset your password now from the login page "
            f"({login_url}) and tell an administrator.",
        ],
    )


def factor_added_mail(
    *, app_name: str, when: dt.datetime, factor: str, profile_url: str
) -> Rendered:
    return _mail(
        subject=f"A second factor was added to your {app_name} account",
        title="Second factor added",
        lead=f"A second factor was added to your {app_name} account.",
        facts={"When": _when(when), "Factor": factor},
        rest=[
            f"If this was not you, remove it now from {profile_url}, reset your password "
            "from the login page and tell an administrator: someone may be signing in as you.",
        ],
    )


def factor_removed_mail(
    *, app_name: str, when: dt.datetime, factor: str, profile_url: str
) -> Rendered:
    return _mail(
        subject=f"A second factor was removed from your {app_name} account",
        title="Second factor removed",
        lead=f"A second factor was removed from your {app_name} account. It no longer works.",
        facts={"When": _when(when), "Factor": factor},
        rest=[
            "If this was not you, reset your password from the login page, add your "
            f"factor again from {profile_url} and tell an administrator.",
        ],
    )


def passkey_cloned_mail(
    *, app_name: str, when: dt.datetime, factor: str, profile_url: str
) -> Rendered:
    return _mail(
        subject=f"A sign-in with a copy of your passkey was stopped at {app_name}",
        title="Passkey may be copied",
        lead=(
            f"A sign-in to your {app_name} account used your passkey with a signature "
            "counter that had already been seen: the passkey may have been copied. "
            "The sign-in was refused."
        ),
        facts={"When": _when(when), "Passkey": factor},
        rest=[
            f"Remove this passkey from {profile_url} and add a new one, change your "
            "password, and tell an administrator.",
        ],
    )


def factors_reset_mail(*, app_name: str, when: dt.datetime, profile_url: str) -> Rendered:
    return _mail(
        subject=f"The second factors of your {app_name} account were reset",
        title="Second factors reset",
        lead=(
            f"An administrator removed the second factors of your {app_name} account. "
            "Your old authenticator apps and recovery codes no longer work."
        ),
        facts={"When": _when(when)},
        rest=[
            f"You can add a second factor again from {profile_url}.",
            "If you did not ask for this, tell an administrator at once.",
        ],
    )


def _codes_left(left: int) -> str:
    if left <= 0:
        return "No recovery codes are left."
    return "1 recovery code is left." if left == 1 else f"{left} recovery codes are left."


def recovery_code_used_mail(
    *, app_name: str, when: dt.datetime, left: int, profile_url: str
) -> Rendered:
    return _mail(
        subject=f"A recovery code was used on your {app_name} account",
        title="Recovery code used",
        lead=f"A recovery code was used to sign in to your {app_name} account. {_codes_left(left)}",
        facts={"When": _when(when), "Codes left": max(left, 0)},
        rest=[
            f"You can make new recovery codes from {profile_url}.",
            "If this was not you, someone has your password and a recovery code: reset your "
            "password from the login page, make new codes and tell an administrator.",
        ],
    )


def recovery_codes_regenerated_mail(
    *, app_name: str, when: dt.datetime, profile_url: str
) -> Rendered:
    return _mail(
        subject=f"New recovery codes for your {app_name} account",
        title="New recovery codes",
        lead=f"New recovery codes were made for your {app_name} account. "
        "The old codes no longer work.",
        facts={"When": _when(when)},
        rest=[
            f"If this was not you, make new codes again from {profile_url}, reset your "
            "password from the login page and tell an administrator.",
        ],
    )


def api_key_created_mail(
    *, app_name: str, when: dt.datetime, key_name: str, api_keys_url: str
) -> Rendered:
    return _mail(
        subject=f"A new API key was created for your {app_name} account",
        title="New API key",
        lead=f"A new API key was created for your {app_name} account. "
        "It can act as you until it is revoked.",
        facts={"When": _when(when), "Key name": key_name},
        rest=[
            f"If this was not you, revoke it now from {api_keys_url}, reset your password "
            "from the login page and tell an administrator.",
        ],
    )


def email_changed_mail(
    *, app_name: str, when: dt.datetime, old_email: str, new_email: str, to_old: bool
) -> Rendered:
    """`to_old`: the mail to the address that no longer belongs to the account."""
    if to_old:
        lead = (
            f"The email address of your {app_name} account was changed. "
            "Sign-in codes and security mails no longer come to this address."
        )
        advice = (
            "If this was not you, tell an administrator at once: "
            "a password reset would now go to the new address."
        )
    else:
        lead = f"This is now the email address of your {app_name} account."
        advice = "If this was not you, tell an administrator."
    return _mail(
        subject=f"The email address of your {app_name} account was changed",
        title="Email address changed",
        lead=lead,
        facts={"When": _when(when), "Old address": old_email, "New address": new_email},
        rest=[advice],
    )
