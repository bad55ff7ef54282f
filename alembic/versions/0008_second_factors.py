"""second factors: authenticator apps, recovery codes, trusted browsers, fresh proofs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner() -> sa.Column:
    return sa.Column(
        'user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False
    )


def _text(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'totp_factors',
        sa.Column('id', sa.Integer(), primary_key=True),
        _owner(),
        _text('name', 64),
        _text('secret_sealed', 255),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=False),
        sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_index('ix_totp_factors_user_id', 'totp_factors', ['user_id'])
    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), primary_key=True),
        _owner(),
        _text('salt', 32),
        _text('code_hmac', 64),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_index('ix_recovery_codes_user_id', 'recovery_codes', ['user_id'])
    op.create_table(
        'trusted_browsers',
        _text('id', 64),
        _owner(),
        sa.Column('security_stamp', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        _text('ip', 64),
        _text('user_agent', 512),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_trusted_browsers_user_id', 'trusted_browsers', ['user_id'])
    op.create_table(
        'fresh_proofs',
        _text('holder', 80),
        _owner(),
        sa.Column('fresh_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('holder'),
    )
    op.create_index('ix_fresh_proofs_user_id', 'fresh_proofs', ['user_id'])
    # A plain ADD COLUMN (SQLite has it): batch mode would copy the table and
    # reflect what it refers to, down to users' expression indexes.
    op.add_column(
        'handoff_tickets',
        sa.Column('trust_browser', sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column('handoff_tickets', 'trust_browser')
    for table in ('fresh_proofs', 'trusted_browsers', 'recovery_codes', 'totp_factors'):
        op.drop_index(f'ix_{table}_user_id', table_name=table)
        op.drop_table(table)
