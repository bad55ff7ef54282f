"""The settings of second factors and of the security mails (SPEC section 3).

Read by `settings.load_settings` with the rest of the environment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from admin_app.env_values import choice, flag, integer

MFA_POLICIES = ("none", "admins", "all")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FactorSettings:
    # Who must add a strong factor (an authenticator app) at their next sign-in.
    mfa_required: str = "none"
    # password+otp: keep the mailed code required even for a user with an
    # authenticator app (the mailbox stays proved at every sign-in).
    email_code_always: bool = False
    # "Trust this browser" skips the second step on that browser this long.
    trust_browser_days: int = 30
    # Sensitive changes need a proof (password or factor) this recent.
    reauth_minutes: int = 10

    def mfa_covers(self, *, is_admin: bool) -> bool:
        """Whether MFA_REQUIRED makes this user have a strong factor."""
        return self.mfa_required == "all" or (self.mfa_required == "admins" and is_admin)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MailNotices:
    """Which security mails go to the user; each is on unless turned off."""

    new_signin: bool = True
    password_changed: bool = True
    factor_changed: bool = True
    recovery_codes: bool = True
    api_key_created: bool = True
    email_changed: bool = True


def load_factor_settings(env: Mapping[str, str]) -> FactorSettings:
    return FactorSettings(
        mfa_required=choice(env, "MFA_REQUIRED", "none", MFA_POLICIES),
        email_code_always=flag(env, "EMAIL_CODE_ALWAYS", False),
        trust_browser_days=integer(env, "TRUST_BROWSER_DAYS", 30, minimum=0),
        reauth_minutes=integer(env, "REAUTH_MINUTES", 10, minimum=1),
    )


def load_mail_notices(env: Mapping[str, str]) -> MailNotices:
    return MailNotices(
        **{
            field.name: flag(env, f"MAIL_ON_{field.name.upper()}", True)
            for field in dataclasses.fields(MailNotices)
        }
    )
