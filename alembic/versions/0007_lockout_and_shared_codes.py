"""lockout streak, take nonce, shared codes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rate_limits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('streak', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(
            sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('code_of', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.drop_column('code_of')
    with op.batch_alter_table('rate_limits', schema=None) as batch_op:
        batch_op.drop_column('nonce')
        batch_op.drop_column('streak')
