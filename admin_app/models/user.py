"""Users and roles."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Index, Integer, func
from sqlmodel import Field, SQLModel

from admin_app.clock import now

ADMIN_ROLE = "Admin"
USER_ROLE = "User"


class User(SQLModel, table=True):
    __tablename__ = "users"
    # Uniqueness is case-insensitive: "Ada" and "ada" are the same username,
    # and so are two emails that differ only in case.
    __table_args__ = (
        Index("ux_users_username_lower", func.lower(Column("username")), unique=True),
        Index("ux_users_email_lower", func.lower(Column("email")), unique=True),
        # Sorting the /users list by name or by age stays an index walk at 100k.
        Index("ix_users_full_name_lower", func.lower(Column("full_name")), Column("id")),
        Index("ix_users_created_at", Column("created_at"), Column("id")),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = Field(default=True)
    mfa_enabled: bool = Field(default=False)
    # Bumped by a password change or reset and by disabling: every API token
    # carries the stamp it was issued under and dies when it moves on.
    security_stamp: int = Field(default=0)
    created_at: dt.datetime = Field(default_factory=now)
    updated_at: dt.datetime = Field(default_factory=now)


class Role(SQLModel, table=True):
    __tablename__ = "roles"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)


class UserRole(SQLModel, table=True):
    __tablename__ = "user_roles"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    role_id: int = Field(
        sa_column=Column(Integer, ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    )
