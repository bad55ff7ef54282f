"""SQLModel tables. Importing this package registers every table on the metadata."""

from sqlmodel import SQLModel

from admin_app.models.api_key import ApiKey
from admin_app.models.audit import AuditEvent
from admin_app.models.code import OneTimeCode
from admin_app.models.factor import FreshProof, RecoveryCode, TotpFactor, TrustedBrowser
from admin_app.models.oauth_account import OAuthAccount
from admin_app.models.passkey import Passkey, PasskeyChallenge
from admin_app.models.rate_limit import RateLimit
from admin_app.models.reset_link import ResetLink
from admin_app.models.session import AuthSession, HandoffTicket
from admin_app.models.token import RefreshToken
from admin_app.models.user import Role, User, UserRole

metadata = SQLModel.metadata

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "FreshProof",
    "HandoffTicket",
    "OAuthAccount",
    "OneTimeCode",
    "Passkey",
    "PasskeyChallenge",
    "RateLimit",
    "RecoveryCode",
    "RefreshToken",
    "ResetLink",
    "Role",
    "TotpFactor",
    "TrustedBrowser",
    "User",
    "UserRole",
    "metadata",
]
