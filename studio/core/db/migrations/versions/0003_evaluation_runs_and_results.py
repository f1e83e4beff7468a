"""evaluation runs, results, preferences and response cache

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:25:12.155209
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('response_cache',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('response_json', sa.Text(), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('eval_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=True),
    sa.Column('split', sa.String(length=20), nullable=False),
    sa.Column('scorer', sa.String(length=50), nullable=False),
    sa.Column('scorer_config_json', sa.Text(), nullable=False),
    sa.Column('provider_json', sa.Text(), nullable=False),
    sa.Column('concurrency', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('recorded_note', sa.Text(), nullable=False),
    sa.Column('summary_json', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('eval_variant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('prompt_version_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('params_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['prompt_version_id'], ['prompt_version.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['eval_run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'position', name='uq_variant_position')
    )
    with op.batch_alter_table('eval_variant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_variant_run_id'), ['run_id'], unique=False)

    op.create_table('eval_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('example_id', sa.Integer(), nullable=False),
    sa.Column('output', sa.Text(), nullable=True),
    sa.Column('tool_calls_json', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('error_kind', sa.String(length=50), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('tokens_in', sa.Integer(), nullable=True),
    sa.Column('tokens_out', sa.Integer(), nullable=True),
    sa.Column('cost_usd', sa.Float(), nullable=True),
    sa.Column('cached', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('score_detail', sa.Text(), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['eval_run.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['eval_variant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('variant_id', 'example_id', name='uq_result_variant_example')
    )
    with op.batch_alter_table('eval_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_result_example_id'), ['example_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eval_result_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eval_result_variant_id'), ['variant_id'], unique=False)

    op.create_table('preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('example_id', sa.Integer(), nullable=False),
    sa.Column('variant_a_id', sa.Integer(), nullable=False),
    sa.Column('variant_b_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('shown_left', sa.String(length=1), nullable=False),
    sa.Column('rater', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['eval_run.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_a_id'], ['eval_variant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_b_id'], ['eval_variant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('preference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preference_example_id'), ['example_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_preference_run_id'), ['run_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('preference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preference_run_id'))
        batch_op.drop_index(batch_op.f('ix_preference_example_id'))

    op.drop_table('preference')
    with op.batch_alter_table('eval_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_result_variant_id'))
        batch_op.drop_index(batch_op.f('ix_eval_result_run_id'))
        batch_op.drop_index(batch_op.f('ix_eval_result_example_id'))

    op.drop_table('eval_result')
    with op.batch_alter_table('eval_variant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_variant_run_id'))

    op.drop_table('eval_variant')
    op.drop_table('eval_run')
    op.drop_table('response_cache')
