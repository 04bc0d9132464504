"""tickets.request_key: one ticket per user message, however often it is processed

Revision ID: 0002_ticket_request_key
Revises: 0001_initial
Create Date: 2026-11-22 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_ticket_request_key'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_key', sa.String(length=160), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_request_key'), ['request_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_request_key'))
        batch_op.drop_column('request_key')
