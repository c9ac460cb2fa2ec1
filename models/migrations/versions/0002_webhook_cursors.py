"""Outbound webhooks: the dispatcher's cursor over the change feed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 20:30:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    cursors = op.create_table(
        "webhook_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("change_event_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_webhook_cursors")),
    )
    # Start after the existing history: subscriptions created from now on get new changes only.
    position = op.get_bind().execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM change_events")).scalar_one()
    now = dt.datetime.now(dt.UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as plain UTC text, as models.sqltypes.UTCDateTime does
    op.bulk_insert(cursors, [{"name": "webhooks", "change_event_id": position, "updated_at": now}])


def downgrade() -> None:
    op.drop_table("webhook_cursors")
