"""The words of each mail: plain text and HTML, the code large and first."""

from __future__ import annotations

import dataclasses
import html

PURPOSE_WORDS = {
    "signin": ("sign-in", "sign in"),
    "mfa": ("sign-in verification", "finish signing in"),
    "factor": ("sign-in verification", "finish signing in"),
    "signup": ("sign-up", "confirm your email and create your account"),
    "confirm": ("confirmation", "confirm a change to your account security"),
}


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _html(title: str, lead: str, big: str | None, rest: list[str]) -> str:
    code = (
        f'<p style="font-size:32px;font-weight:700;letter-spacing:6px;margin:16px 0">'
        f"{html.escape(big)}</p>"
        if big
        else ""
    )
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in rest)
    return (
        '<div style="font-family:system-ui,sans-serif;max-width:480px">'
        f"<h2>{html.escape(title)}</h2>{code}<p>{html.escape(lead)}</p>{paragraphs}</div>"
    )


def code_mail(*, app_name: str, purpose: str, code: str, ttl_minutes: int) -> Rendered:
    noun, verb = PURPOSE_WORDS[purpose]
    subject = f"{code} is your {app_name} {noun} code"
    lead = f"Use this code to {verb} on {app_name}. It expires in {ttl_minutes} minutes."
    advice = (
        "If this was not you, you can ignore this mail: nobody can get in without the code. "
        "Never share it; we will never ask you for it."
    )
    text = f"{code}\n\n{lead}\n\n{advice}\n"
    return Rendered(subject, text, _html(f"Your {noun} code", lead, code, [advice]))


def signup_attempt_mail(*, app_name: str, login_url: str) -> Rendered:
    subject = f"Someone tried to create a {app_name} account with your email"
    lead = (
        f"Someone (maybe you) tried to sign up to {app_name} with this email address, "
        "which already has an account."
    )
    rest = [
        f"If it was you, sign in instead: {login_url}",
        "If this was not you, no action is needed: no new account was created.",
    ]
    text = "\n\n".join([lead, *rest]) + "\n"
    return Rendered(subject, text, _html("You already have an account", lead, None, rest))


def welcome_mail(*, app_name: str, username: str, login_url: str) -> Rendered:
    subject = f"Your {app_name} account is ready"
    lead = f"An administrator created a {app_name} account for you, with the username {username}."
    rest = [
        f"Sign in at {login_url} with this email address; a code will be sent here.",
        "If you did not expect this, you can ignore this mail.",
    ]
    text = "\n\n".join([lead, *rest]) + "\n"
    return Rendered(subject, text, _html("Welcome", lead, None, rest))


def reset_mail(*, app_name: str, url: str) -> Rendered:
    subject = f"Reset your {app_name} password"
    lead = "Open this link to choose a new password. It works once, for 24 hours."
    rest = [
        url,
        "If this was not you, ignore this mail: your password stays as it is.",
    ]
    text = "\n\n".join([lead, *rest]) + "\n"
    return Rendered(subject, text, _html("Reset your password", lead, None, rest))
