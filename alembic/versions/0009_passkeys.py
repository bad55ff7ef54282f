"""passkeys: WebAuthn credentials and their ceremonies' challenges

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'passkeys',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column(
            'user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False
        ),
        _text('credential_id', 1400),
        _text('public_key', 2048),
        sa.Column('sign_count', sa.Integer(), nullable=False),
        _text('name', 64),
        _text('transports', 255),
        _text('aaguid', 36),
        sa.Column('multi_device', sa.Boolean(), nullable=False),
        sa.Column('backed_up', sa.Boolean(), nullable=False),
        _moment('created_at'),
        _moment('last_used_at', nullable=True),
    )
    op.create_index('ix_passkeys_user_id', 'passkeys', ['user_id'])
    op.create_index('ix_passkeys_credential_id', 'passkeys', ['credential_id'], unique=True)
    op.create_table(
        'passkey_challenges',
        _text('id', 64),
        _text('purpose', 16),
        sa.Column(
            'user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=True
        ),
        _text('bound_to', 80),
        _text('challenge', 128),
        _text('payload', 512),
        _moment('created_at'),
        _moment('expires_at'),
        _moment('used_at', nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_passkey_challenges_user_id', 'passkey_challenges', ['user_id'])
    op.create_index('ix_passkey_challenges_bound_to', 'passkey_challenges', ['bound_to'])
    op.create_index('ix_passkey_challenges_expires_at', 'passkey_challenges', ['expires_at'])


def downgrade() -> None:
    op.drop_table('passkey_challenges')
    op.drop_table('passkeys')
