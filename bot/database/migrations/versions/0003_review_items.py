"""review_items: the queue of user messages to review, and the reviewers' corrections

Revision ID: 0003_review_items
Revises: 0002_ticket_request_key
Create Date: 2026-11-27 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_review_items'
down_revision = '0002_ticket_request_key'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('predicted_intent', sa.String(length=255), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('entities', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('flagged_by', sa.Integer(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('corrected_intent', sa.String(length=255), nullable=True),
    sa.Column('corrected_entities', sa.JSON(), nullable=True),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('message_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint(
        "reason IN ('low_confidence', 'fallback', 'before_handoff', 'not_solved', 'flagged')",
        name=op.f('ck_review_items_reason'),
    ),
    sa.CheckConstraint("status IN ('pending', 'corrected', 'dismissed')", name=op.f('ck_review_items_status')),
    sa.ForeignKeyConstraint(
        ['flagged_by'], ['agents.id'], name=op.f('fk_review_items_flagged_by_agents'), ondelete='SET NULL'
    ),
    sa.ForeignKeyConstraint(
        ['reviewed_by'], ['agents.id'], name=op.f('fk_review_items_reviewed_by_agents'), ondelete='SET NULL'
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_items')),
    sa.UniqueConstraint('conversation_id', 'message_id', name=op.f('uq_review_items_conversation_id'))
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_items_message_at'), ['message_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_items_message_at'))

    op.drop_table('review_items')
