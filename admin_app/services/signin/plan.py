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
    PASSKEY = "passkey"
    EMAIL = "email"


STRONG = (Method.TOTP, Method.RECOVERY)
EMAIL_ONLY = (Method.EMAIL,)


def strong_methods(*, has_app: bool, has_passkey: bool) -> tuple[Method, ...]:
    """The strong second factors a user holds: an app, a passkey, and the
    recovery codes that come with either."""
    held = ((Method.TOTP,) if has_app else ()) + ((Method.PASSKEY,) if has_passkey else ())
    return (*held, Method.RECOVERY) if held else ()


def _email_code_kept(settings: Settings) -> bool:
    """EMAIL_CODE_ALWAYS in password+otp (the mode with a password and a code at
    every sign-in): the email code stays required beside a strong factor."""
    always = settings.uses_passwords and settings.code_at_every_signin
    return always and settings.factors.email_code_always


def second_steps(
    settings: Settings, *, mfa_enabled: bool, strong: tuple[Method, ...], mailbox_proved: bool
) -> tuple[tuple[Method, ...], ...]:
    """The steps left after the first factor; each is met by one of its methods.

    `strong` are the strong factors the user holds (`strong_methods`).
    """
    email_due = code_due(settings, mfa_enabled=mfa_enabled) and not mailbox_proved
    if not strong:
        return (EMAIL_ONLY,) if email_due else ()
    if email_due and _email_code_kept(settings):
        return (EMAIL_ONLY, strong)
    return (strong + EMAIL_ONLY,) if email_due else (strong,)


def after_passkey(
    settings: Settings, *, user_verified: bool, mfa_enabled: bool, strong: tuple[Method, ...]
) -> tuple[tuple[Method, ...], ...]:
    """The steps left after a passkey sign-in.

    With user verification (a PIN or a fingerprint on the authenticator) the
    passkey is both factors: nothing is left, but the email code that
    EMAIL_CODE_ALWAYS keeps. Without, it is one factor: it stands where the
    password stands in the password modes, and where the email code stands
    in `otp` mode; what follows is what follows those (the passkey itself is
    not offered again).
    """
    if user_verified:
        return (EMAIL_ONLY,) if _email_code_kept(settings) else ()
    # What is left beside the passkey: an app (with the recovery codes), or nothing.
    others = STRONG if Method.TOTP in strong else ()
    return second_steps(
        settings,
        mfa_enabled=mfa_enabled,
        strong=others,
        mailbox_proved=not settings.uses_passwords,
    )
