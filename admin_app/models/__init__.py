"""SQLModel tables. Importing this package registers every table on the metadata."""

from sqlmodel import SQLModel

from admin_app.models.audit import AuditEvent
from admin_app.models.code import OneTimeCode
from admin_app.models.session import AuthSession, HandoffTicket
from admin_app.models.user import Role, User, UserRole

metadata = SQLModel.metadata

__all__ = [
    "AuditEvent",
    "AuthSession",
    "HandoffTicket",
    "OneTimeCode",
    "Role",
    "User",
    "UserRole",
    "metadata",
]
