"""The catalogue of coded errors: every error a service raises, in one place.

Services raise these; each face (pages, API, CLI) turns them into its own
answer. `code` is stable and machine-readable, `message` a human sentence,
`field` the form field at fault (if one). Nothing here knows about HTTP: the
API maps codes to status codes in `admin_app/api/errors.py`.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.message
        self.field = field
        super().__init__(self.message)


def catalogue() -> list[type[DomainError]]:
    """Every coded error class, depth first (for the faces' mapping tests)."""
    found: list[type[DomainError]] = []
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found


# --- What was typed is not valid -----------------------------------------


class ValidationFailed(DomainError):
    code = "invalid"


class InvalidEmail(ValidationFailed):
    code = "invalid_email"


class InvalidUsername(ValidationFailed):
    code = "invalid_username"


class WeakPassword(ValidationFailed):
    code = "weak_password"


# --- It clashes with what exists, or is not there ----------------------


class Conflict(DomainError):
    code = "conflict"


class UsernameTaken(Conflict):
    code = "username_taken"
    message = "That username is taken."


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with that email already exists."


class LastAdmin(Conflict):
    code = "last_admin"
    message = "This is the last active Admin: make someone else an Admin first."


class PasswordsOff(DomainError):
    code = "passwords_off"
    message = "This site signs in with email codes only: there is no password to change."


class MfaFixed(DomainError):
    code = "mfa_always_on"
    message = "In this sign-in mode every sign-in already needs an email code."


class SignsInAnotherWay(DomainError):
    """An OAuth identity whose email belongs to an account that signs in otherwise."""

    code = "account_exists"


class CannotUnlink(DomainError):
    code = "last_sign_in_method"
    message = "Keep at least one way to sign in: set a password or link another provider first."


class SignupCompleted(DomainError):
    """A sign-up's code came back again after the account was made (a lost answer, retried)."""

    code = "signup_completed"
    message = "This sign-up is already complete: your account exists. Sign in."


class NotFound(DomainError):
    code = "not_found"
    message = "Not found."


# --- Who is asking -------------------------------------------------------


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    message = "Wrong email, username or password."


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    message = "Sign in to continue."


class InvalidRefreshToken(DomainError):
    code = "invalid_refresh_token"
    message = "The refresh token is not valid. Sign in again."


class PermissionDenied(DomainError):
    code = "permission_denied"
    message = "You do not have permission to do that."


class KeyCannotManageKeys(PermissionDenied):
    code = "key_cannot_manage_keys"
    message = (
        "An API key cannot create or revoke API keys: sign in and use an access token for that."
    )


class MissingPermissions(DomainError):
    code = "permission_not_held"

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            "A key cannot have permissions you do not hold: " + ", ".join(missing) + "."
        )


class AccountDisabled(DomainError):
    code = "account_disabled"
    message = "This account is disabled. Ask an administrator to enable it."


class SignupDisabled(DomainError):
    code = "signup_disabled"
    message = "Sign-up is turned off here. Ask an administrator for an account."


class ForgotUnavailable(DomainError):
    code = "reset_by_admin"
    message = "Password resets go through an administrator here."


class EmailNotVerified(DomainError):
    """An OAuth provider that does not vouch for the email it gives."""

    code = "email_not_verified"


class ProofNeeded(DomainError):
    """A sensitive change without a fresh proof ("sudo mode"): prove it is you, then retry."""

    code = "reauthentication_required"
    message = (
        "Confirm it is you first: with your password, a passkey, a code from your "
        "authenticator app, a recovery code, or a code sent to your email."
    )


class MfaEnrolmentRequired(DomainError):
    code = "mfa_enrollment_required"
    message = (
        "This account must add an authenticator app before it can be used: "
        "sign in with a browser to add one."
    )


class MethodNotAvailable(DomainError):
    code = "method_not_available"
    message = "That way of confirming is not available for this sign-in."


class TooManyFactors(DomainError):
    code = "too_many_factors"
    message = "This account has as many authenticator apps as it may have. Remove one first."


class PasskeyRefused(DomainError):
    """A passkey's answer that did not verify: unknown, removed, wrong origin,
    another account's, a bad signature or a copied authenticator (the reason
    is audited, never told)."""

    code = "passkey_refused"
    message = "That passkey could not be used. Try again, or sign in another way."


class PasskeyRequestExpired(DomainError):
    code = "passkey_request_expired"
    message = "That passkey request has expired or was already used. Please try again."


# --- One-time codes and links --------------------------------------------


class WrongCode(DomainError):
    code = "incorrect_code"

    def __init__(self, tries_left: int) -> None:
        self.tries_left = tries_left
        plural = "try" if tries_left == 1 else "tries"
        super().__init__(f"That code is not right. {tries_left} {plural} left.", field="code")


class WrongFactorCode(DomainError):
    code = "incorrect_factor_code"
    message = "That code is not right."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, field="code")


class CodeExpired(DomainError):
    code = "code_expired"
    message = "That code has expired. Ask for a new one."


class CodeUsedUp(DomainError):
    code = "code_used_up"
    message = "That code can no longer be used. Ask for a new one."


class UnknownCodeSession(DomainError):
    code = "otp_session_invalid"
    message = "This sign-in has ended. Please start again."


class InvalidResetLink(DomainError):
    code = "invalid_reset_link"
    message = "This reset link is not valid any more. Ask for a new one."


# --- Try again later -----------------------------------------------------


class RateLimited(DomainError):
    code = "too_many_attempts"
    message = "Too many attempts. Try again later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message or f"Too many attempts. Try again in {self.retry_after} seconds.")


class MailNotSent(DomainError):
    code = "mail_not_sent"
    message = "The email could not be sent. Please try again in a moment."
