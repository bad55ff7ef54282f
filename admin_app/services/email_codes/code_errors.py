"""What can go wrong with an email code: coded errors each face words its own way."""

from __future__ import annotations

from admin_app.errors import DomainError


class WrongCode(DomainError):
    code = "incorrect_code"
    status = 400

    def __init__(self, tries_left: int) -> None:
        self.tries_left = tries_left
        plural = "try" if tries_left == 1 else "tries"
        super().__init__(f"That code is not right. {tries_left} {plural} left.", field="code")


class CodeExpired(DomainError):
    code = "code_expired"
    status = 400
    message = "That code has expired. Ask for a new one."


class CodeUsedUp(DomainError):
    code = "code_used_up"
    status = 400
    message = "That code can no longer be used. Ask for a new one."


class UnknownCodeSession(DomainError):
    code = "otp_session_invalid"
    status = 400
    message = "This sign-in has ended. Please start again."


class SignupCompleted(DomainError):
    """A sign-up's code came back again after the account was made (a lost answer, retried)."""

    code = "signup_completed"
    status = 409
    message = "This sign-up is already complete: your account exists. Sign in."
