"""Who spoke on each call, by side, kept on the call: reading a deal's calls never scans utterances.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 04:30:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("speakers", sa.JSON(), nullable=True))
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Fill `speakers` from the stored utterances: the summary `models.crud.results.speakers_by_side`
    keeps, written out here because a migration must not change when the application's code does."""
    calls = sa.table("calls", sa.column("id", sa.Integer), sa.column("speakers", sa.JSON))
    utterances = sa.table(
        "utterances", sa.column("call_id", sa.Integer), sa.column("speaker"), sa.column("side")
    )
    ids = [row[0] for row in conn.execute(sa.select(utterances.c.call_id).distinct())]
    update = sa.update(calls).where(calls.c.id == sa.bindparam("b_id")).values(speakers=sa.bindparam("b_sp"))
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        said: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        rows = conn.execute(
            sa.select(utterances.c.call_id, utterances.c.speaker, utterances.c.side)
            .where(utterances.c.call_id.in_(chunk))
            .distinct()
        )
        for call_id, speaker, side in rows:
            if side in ("buyer", "rep"):
                said[call_id][side].add(speaker)
        values = [
            {"b_id": call_id, "b_sp": {side: sorted(said[call_id].get(side, ())) for side in ("buyer", "rep")}}
            for call_id in chunk
        ]
        conn.execute(update, values)


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("speakers")
