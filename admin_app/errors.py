"""Coded domain errors.

Services raise these; each face (pages, API, CLI) turns them into its own
words. `code` is stable and machine-readable, `message` is a human sentence,
`status` is the HTTP status the API answers with.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.message
        self.field = field
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "invalid"
    status = 422


class InvalidEmail(ValidationFailed):
    code = "invalid_email"


class InvalidUsername(ValidationFailed):
    code = "invalid_username"


class WeakPassword(ValidationFailed):
    code = "weak_password"


class Conflict(DomainError):
    code = "conflict"
    status = 409


class UsernameTaken(Conflict):
    code = "username_taken"
    message = "That username is taken."


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with that email already exists."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "Not found."


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    message = "Wrong email, username or password."


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    message = "Sign in to continue."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    message = "You do not have permission to do that."


class RateLimited(DomainError):
    code = "too_many_attempts"
    status = 429
    message = "Too many attempts. Try again later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message or f"Too many attempts. Try again in {self.retry_after} seconds.")


class MailNotSent(DomainError):
    code = "mail_not_sent"
    status = 503
    message = "The email could not be sent. Please try again in a moment."


class AccountDisabled(DomainError):
    code = "account_disabled"
    status = 403
    message = "This account is disabled. Ask an administrator to enable it."


class SignupDisabled(DomainError):
    code = "signup_disabled"
    status = 403
    message = "Sign-up is turned off here. Ask an administrator for an account."


class ProofNeeded(DomainError):
    code = "reauth_required"
    status = 403
    message = (
        "Prove it is you first: sign in again (within the last 10 minutes) "
        "or enter a code sent to your email."
    )


class PasswordsOff(DomainError):
    code = "passwords_off"
    status = 409
    message = "This site signs in with email codes only: there is no password to change."


class KeyCannotManageKeys(PermissionDenied):
    code = "key_cannot_manage_keys"
    message = (
        "An API key cannot create or revoke API keys: sign in and use an access token for that."
    )
