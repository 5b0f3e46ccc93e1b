"""initial push schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 17:21:14.581762
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('push_counters',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('push_enterprises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('industry_code', sa.String(length=5), nullable=True),
    sa.Column('established_on', sa.Date(), nullable=True),
    sa.Column('registered_capital', sa.Float(), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('annual_revenue', sa.Float(), nullable=True),
    sa.Column('total_assets', sa.Float(), nullable=True),
    sa.Column('size', sa.String(length=8), nullable=True),
    sa.Column('qualifications', sa.JSON(), nullable=True),
    sa.Column('interest_topics', sa.JSON(), nullable=False),
    sa.Column('interest_keywords', sa.JSON(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('webhook_url', sa.String(length=2000), nullable=True),
    sa.Column('webhook_secret', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('credit_code')
    )
    with op.batch_alter_table('push_enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_enterprises_industry_code'), ['industry_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_enterprises_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_enterprises_size'), ['size'], unique=False)

    op.create_table('push_policy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('doc_id', sa.String(length=200), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('issuer', sa.Text(), nullable=True),
    sa.Column('region_name', sa.Text(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('doc_id', 'content_hash', name='uq_policy_version')
    )
    with op.batch_alter_table('push_policy_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_policy_versions_doc_id'), ['doc_id'], unique=False)

    op.create_table('push_matches',
    sa.Column('policy_version_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('condition_states', sa.String(length=200), nullable=False),
    sa.Column('rule_revision', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['push_enterprises.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['policy_version_id'], ['push_policy_versions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('policy_version_id', 'enterprise_id'),
    sqlite_with_rowid=False
    )
    op.create_table('push_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('policy_version_id', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['push_enterprises.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['policy_version_id'], ['push_policy_versions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enterprise_id', 'policy_version_id', name='uq_push_once')
    )
    with op.batch_alter_table('push_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_records_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('push_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_version_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('suggested', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['policy_version_id'], ['push_policy_versions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('push_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_rules_policy_version_id'), ['policy_version_id'], unique=False)

    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['push_enterprises.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enterprise_id', 'kind', 'value', name='uq_subscription')
    )
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscriptions_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index('ix_push_subscriptions_kind_value', ['kind', 'value'], unique=False)

    op.create_table('push_inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('push_record_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['push_enterprises.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['push_record_id'], ['push_records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('push_record_id')
    )
    with op.batch_alter_table('push_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_push_inbox_enterprise_created', ['enterprise_id', 'created_at'], unique=False)

    op.create_table('push_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('push_record_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['push_record_id'], ['push_records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('push_record_id', 'channel', name='uq_outbox_once')
    )
    with op.batch_alter_table('push_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_push_outbox_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('push_delivery_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['push_outbox.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('push_delivery_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_delivery_log_outbox_id'), ['outbox_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('push_delivery_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_delivery_log_outbox_id'))

    op.drop_table('push_delivery_log')
    with op.batch_alter_table('push_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_push_outbox_due')

    op.drop_table('push_outbox')
    with op.batch_alter_table('push_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_push_inbox_enterprise_created')

    op.drop_table('push_inbox')
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_push_subscriptions_kind_value')
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_enterprise_id'))

    op.drop_table('push_subscriptions')
    with op.batch_alter_table('push_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_rules_policy_version_id'))

    op.drop_table('push_rules')
    with op.batch_alter_table('push_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_records_enterprise_id'))

    op.drop_table('push_records')
    op.drop_table('push_matches')
    with op.batch_alter_table('push_policy_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_policy_versions_doc_id'))

    op.drop_table('push_policy_versions')
    with op.batch_alter_table('push_enterprises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_enterprises_size'))
        batch_op.drop_index(batch_op.f('ix_push_enterprises_region_code'))
        batch_op.drop_index(batch_op.f('ix_push_enterprises_industry_code'))

    op.drop_table('push_enterprises')
    op.drop_table('push_counters')
