"""The sign-in stage machine: which stages a sign-in passes, in which order.

    identify -> password -> code -> done

Each mode drops the stages it does not use:

- `otp`: identify -> code -> done (the code is the proof);
- `password`: identify -> password -> done, with the code stage only for a
  user who turned MFA on;
- `password+otp`: identify -> password -> code -> done.

A provider's identity (OAuth) stands in for identify and password, never for
the code. `code_due` is the one rule of when the code stage runs; `stages.py`
runs the stages, the code step (`email_codes.code_step`) is shared with
sign-up and MFA, and every face asks here instead of reading AUTH_MODE.

After the first factor, `second_steps` says what is left: a list of steps,
each met by any one of its methods. A user with an authenticator app meets
the code stage with it (or a recovery code), the email code staying one of
the choices where the mode or the user's MFA uses it; `EMAIL_CODE_ALWAYS`
keeps the email code required in `password+otp`, before the app. In `otp`
mode the email code is the first factor, and the app is a step after it.
"""

from __future__ import annotations

import enum

from admin_app.settings import Settings


class Stage(enum.StrEnum):
    IDENTIFY = "identify"
    PASSWORD = "password"  # noqa: S105 (a stage, not a password)
    CODE = "code"
    DONE = "done"


def code_due(settings: Settings, *, mfa_enabled: bool) -> bool:
    """Whether a sign-in needs the mailed code: in the code modes always, else with MFA on."""
    return settings.code_at_every_signin or mfa_enabled


def mfa_fixed(settings: Settings) -> bool:
    """MFA is the mode's, not the user's, to choose: every sign-in has the code stage."""
    return code_due(settings, mfa_enabled=False)


def after_identify(settings: Settings) -> Stage:
    """The stage after the identifier: the password, or (otp mode) the code."""
    return Stage.PASSWORD if settings.uses_passwords else Stage.CODE


def after_first_factor(settings: Settings, *, mfa_enabled: bool) -> Stage:
    """The stage after a proved password or a provider's identity."""
    return Stage.CODE if code_due(settings, mfa_enabled=mfa_enabled) else Stage.DONE


def stages_for(settings: Settings, *, mfa_enabled: bool) -> tuple[Stage, ...]:
    """Every stage a password (or code) sign-in of such a user passes, in order."""
    route = [Stage.IDENTIFY, after_identify(settings)]
    if route[-1] is Stage.PASSWORD:
        route.append(after_first_factor(settings, mfa_enabled=mfa_enabled))
    if route[-1] is not Stage.DONE:
        route.append(Stage.DONE)
    return tuple(route)


class Method(enum.StrEnum):
    """How a second step is met."""

    TOTP = "totp"
    RECOVERY = "recovery"
    EMAIL = "email"


STRONG = (Method.TOTP, Method.RECOVERY)
EMAIL_ONLY = (Method.EMAIL,)


def second_steps(
    settings: Settings, *, mfa_enabled: bool, has_strong: bool, mailbox_proved: bool
) -> tuple[tuple[Method, ...], ...]:
    """The steps left after the first factor; each is met by one of its methods."""
    email_due = code_due(settings, mfa_enabled=mfa_enabled) and not mailbox_proved
    if not has_strong:
        return (EMAIL_ONLY,) if email_due else ()
    # password+otp is the mode with a password and a code at every sign-in.
    always = settings.uses_passwords and settings.code_at_every_signin
    if email_due and always and settings.factors.email_code_always:
        return (EMAIL_ONLY, STRONG)
    return (STRONG + EMAIL_ONLY,) if email_due else (STRONG,)
