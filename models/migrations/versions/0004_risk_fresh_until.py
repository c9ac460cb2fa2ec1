"""Until when each deal's stored risk holds: periodic re-scoring and reviews read only due deals.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows get NULL: due now, so the next periodic run scores them and fills it in.
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk_fresh_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_deals_risk_fresh_until"), ["risk_fresh_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deals_risk_fresh_until"))
        batch_op.drop_column("risk_fresh_until")
