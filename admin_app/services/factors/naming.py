"""The name a user gives a second factor (an authenticator app, a passkey):
how /profile, the audit log and the security mails tell them apart."""

from __future__ import annotations

from admin_app.errors import ValidationFailed

MAX_NAME = 64


def clean_name(raw: str, *, kind: str, such_as: str) -> str:
    """`raw` with its spaces folded; refused when empty or longer than MAX_NAME."""
    name = " ".join(raw.split())
    if not name:
        raise ValidationFailed(f"Give the {kind} a name, such as {such_as}.", field="name")
    if len(name) > MAX_NAME:
        raise ValidationFailed(f"Keep the name under {MAX_NAME} characters.", field="name")
    return name
