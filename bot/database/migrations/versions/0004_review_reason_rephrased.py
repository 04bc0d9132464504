"""review_items.reason: 'rephrased' (a message the user said again in other words right after)

Revision ID: 0004_review_reason_rephrased
Revises: 0003_review_items
Create Date: 2026-11-29 23:55:00
"""
from alembic import op

revision = '0004_review_reason_rephrased'
down_revision = '0003_review_items'
branch_labels = None
depends_on = None

OLD = "reason IN ('low_confidence', 'fallback', 'before_handoff', 'not_solved', 'flagged')"
NEW = "reason IN ('low_confidence', 'fallback', 'rephrased', 'before_handoff', 'not_solved', 'flagged')"


def _replace(condition: str) -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_review_items_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_review_items_reason'), condition)


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM review_items WHERE reason = 'rephrased'")
    _replace(OLD)
