"""enterprise ownership; qualifications added by admins

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('push_enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ownership', sa.String(length=16), nullable=True))
    op.create_table('push_qualifications',
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('slug'),
    sa.UniqueConstraint('label')
    )


def downgrade() -> None:
    op.drop_table('push_qualifications')
    with op.batch_alter_table('push_enterprises', schema=None) as batch_op:
        batch_op.drop_column('ownership')
