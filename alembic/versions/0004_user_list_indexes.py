"""indexes for sorting the user list

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Covering id lets PostgreSQL page through ids with an index-only scan
        # (SQLite indexes always carry the rowid, which is id).
        for column in ("username", "email"):
            op.drop_index(f"ux_users_{column}_lower", table_name="users")
            op.execute(
                f"CREATE UNIQUE INDEX ux_users_{column}_lower ON users (lower({column})) "
                "INCLUDE (id)"
            )
    op.create_index("ix_users_full_name_lower", "users", [sa.text("lower(full_name)"), "id"])
    op.create_index("ix_users_created_at", "users", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_users_created_at", table_name="users")
    op.drop_index("ix_users_full_name_lower", table_name="users")
