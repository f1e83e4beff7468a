"""row versions and authors of examples, labeller assignments and adjudications

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("example") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column("updated_by", sa.String(length=200), nullable=False, server_default="")
        )
    op.create_table(
        "annotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("labeller", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("overlap", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("example_id", "labeller", name="uq_annotation_example_labeller"),
    )
    op.create_index("ix_annotation_dataset_labeller", "annotation", ["dataset_id", "labeller"])
    op.create_index("ix_annotation_example_id", "annotation", ["example_id"])
    op.create_table(
        "adjudication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("labels_json", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_adjudication_dataset_id", "adjudication", ["dataset_id"])
    op.create_index("ix_adjudication_example_id", "adjudication", ["example_id"])


def downgrade() -> None:
    op.drop_index("ix_adjudication_example_id", table_name="adjudication")
    op.drop_index("ix_adjudication_dataset_id", table_name="adjudication")
    op.drop_table("adjudication")
    op.drop_index("ix_annotation_example_id", table_name="annotation")
    op.drop_index("ix_annotation_dataset_labeller", table_name="annotation")
    op.drop_table("annotation")
    with op.batch_alter_table("example") as batch:
        batch.drop_column("updated_by")
        batch.drop_column("version")
