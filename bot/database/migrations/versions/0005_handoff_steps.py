"""handoff_steps: what a ticket change still has to do in the conversation (bot.handoff)

Revision ID: 0005_handoff_steps
Revises: 0004_review_reason_rephrased
Create Date: 2026-11-30 09:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_handoff_steps'
down_revision = '0004_review_reason_rephrased'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'handoff_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_handoff_steps_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_steps')),
    )
    op.create_index(op.f('ix_handoff_steps_ticket_id'), 'handoff_steps', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_handoff_steps_done_at'), 'handoff_steps', ['done_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_handoff_steps_done_at'), table_name='handoff_steps')
    op.drop_index(op.f('ix_handoff_steps_ticket_id'), table_name='handoff_steps')
    op.drop_table('handoff_steps')
