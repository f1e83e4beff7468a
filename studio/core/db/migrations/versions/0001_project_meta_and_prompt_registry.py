"""project meta and prompt registry

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 12:25:12.043518
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('project_meta',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('prompt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('prompt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prompt_name'), ['name'], unique=True)

    op.create_table('label_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=True),
    sa.Column('to_version', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompt.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('label_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_event_prompt_id'), ['prompt_id'], unique=False)

    op.create_table('prompt_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('spec_json', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompt.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prompt_id', 'version', name='uq_prompt_version_number')
    )
    with op.batch_alter_table('prompt_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prompt_version_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_prompt_version_prompt_id'), ['prompt_id'], unique=False)

    op.create_table('prompt_label',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompt.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['prompt_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prompt_id', 'name', name='uq_prompt_label_name')
    )
    with op.batch_alter_table('prompt_label', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prompt_label_prompt_id'), ['prompt_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('prompt_label', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prompt_label_prompt_id'))

    op.drop_table('prompt_label')
    with op.batch_alter_table('prompt_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prompt_version_prompt_id'))
        batch_op.drop_index(batch_op.f('ix_prompt_version_content_hash'))

    op.drop_table('prompt_version')
    with op.batch_alter_table('label_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_event_prompt_id'))

    op.drop_table('label_event')
    with op.batch_alter_table('prompt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prompt_name'))

    op.drop_table('prompt')
    op.drop_table('project_meta')
