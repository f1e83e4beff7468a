"""who scored a teacher candidate: the judge's prompt version, model and time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:50:00

Scores written before this revision keep their value and get no judge (all three
columns null): the listings say "judge not recorded" for them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        batch.add_column(sa.Column("judge_ref", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("judge_model", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("judged_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        batch.drop_column("judged_at")
        batch.drop_column("judge_model")
        batch.drop_column("judge_ref")
