"""distil candidates, run kinds, ideal-output sources and synthetic provenance

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("eval_run") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="ab")
        )
    with op.batch_alter_table("eval_result") as batch:
        batch.add_column(
            sa.Column("response_id", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("example") as batch:
        batch.add_column(
            sa.Column("ideal_source", sa.String(length=20), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("provenance_json", sa.Text(), nullable=True))
    op.create_table(
        "candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("prompt_version_id", sa.Integer(), nullable=True),
        sa.Column("prompt_ref", sa.String(length=300), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("output_kind", sa.String(length=20), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("agreement", sa.Float(), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("judge_score", sa.Float(), nullable=True),
        sa.Column("tokens_in", sa.Integer(), nullable=True),
        sa.Column("tokens_out", sa.Integer(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("response_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["example_id"], ["example.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["eval_run.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["prompt_version_id"], ["prompt_version.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_candidate_dataset_status", "candidate", ["dataset_id", "status"])
    op.create_index("ix_candidate_example", "candidate", ["example_id"])


def downgrade() -> None:
    op.drop_index("ix_candidate_example", table_name="candidate")
    op.drop_index("ix_candidate_dataset_status", table_name="candidate")
    op.drop_table("candidate")
    with op.batch_alter_table("example") as batch:
        batch.drop_column("provenance_json")
        batch.drop_column("ideal_source")
    with op.batch_alter_table("eval_result") as batch:
        batch.drop_column("response_id")
    with op.batch_alter_table("eval_run") as batch:
        batch.drop_column("kind")
