"""datasets, examples, history and operations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:25:12.093303
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dataset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('task_type', sa.String(length=20), nullable=False),
    sa.Column('label_set_json', sa.Text(), nullable=False),
    sa.Column('output_schema_json', sa.Text(), nullable=True),
    sa.Column('input_fields_json', sa.Text(), nullable=False),
    sa.Column('split_seed', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_name'), ['name'], unique=True)

    op.create_table('example',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('input_json', sa.Text(), nullable=False),
    sa.Column('system_prompt', sa.Text(), nullable=True),
    sa.Column('conversation_json', sa.Text(), nullable=True),
    sa.Column('tools_json', sa.Text(), nullable=True),
    sa.Column('output_kind', sa.String(length=20), nullable=False),
    sa.Column('ideal_output', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('tags', sa.Text(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('split', sa.String(length=20), nullable=True),
    sa.Column('split_locked', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('source_line', sa.Integer(), nullable=True),
    sa.Column('norm_hash', sa.String(length=64), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('example', schema=None) as batch_op:
        batch_op.create_index('ix_example_dataset_hash', ['dataset_id', 'norm_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_example_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index('ix_example_dataset_label', ['dataset_id', 'label'], unique=False)
        batch_op.create_index('ix_example_dataset_split', ['dataset_id', 'split'], unique=False)
        batch_op.create_index('ix_example_dataset_status', ['dataset_id', 'status'], unique=False)

    op.create_table('operation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('undone', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('operation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('example_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('example_id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('op_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=50), nullable=False),
    sa.Column('before_json', sa.Text(), nullable=True),
    sa.Column('after_json', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['op_id'], ['operation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('op_id', 'example_id', 'field', name='uq_history_op_field')
    )
    with op.batch_alter_table('example_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_example_history_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_example_history_example_id'), ['example_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('example_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_example_history_example_id'))
        batch_op.drop_index(batch_op.f('ix_example_history_dataset_id'))

    op.drop_table('example_history')
    with op.batch_alter_table('operation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_dataset_id'))

    op.drop_table('operation')
    with op.batch_alter_table('example', schema=None) as batch_op:
        batch_op.drop_index('ix_example_dataset_status')
        batch_op.drop_index('ix_example_dataset_split')
        batch_op.drop_index('ix_example_dataset_label')
        batch_op.drop_index(batch_op.f('ix_example_dataset_id'))
        batch_op.drop_index('ix_example_dataset_hash')

    op.drop_table('example')
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_name'))

    op.drop_table('dataset')
