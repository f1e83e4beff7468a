"""Datasets, their examples, the per-example edit history and undoable operations.

The hinge of the product: an example stores its *input* as named variables (what
any prompt version renders) or, for imported conversations, the recognised system
prompt plus the conversation turns; and its *ideal output* (text, JSON or assistant
tool calls). Evaluation renders the input through each prompt version; export
renders it through the chosen version into training messages.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from studio.core.models.common import utcnow

TASK_TYPES = ("classification", "extraction", "generation", "chat")
STATUSES = ("draft", "needs_review", "approved", "rejected")
SPLITS = ("train", "validation", "test")
OUTPUT_KINDS = ("text", "json", "tool_calls")


class Dataset(SQLModel, table=True):
    """A set of examples for one task."""

    __tablename__ = "dataset"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    task_type: str = Field(default="generation", max_length=20)
    # JSON list of label names (classification); empty list otherwise
    label_set_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # JSON Schema of the ideal output (extraction), or null
    output_schema_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # JSON list of input variable names, e.g. ["text"]
    input_fields_json: str = Field(
        default='["text"]', sa_column=Column(Text, nullable=False, default='["text"]')
    )
    split_seed: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Example(SQLModel, table=True):
    """One example: input, ideal output and curation fields."""

    __tablename__ = "example"
    __table_args__ = (
        Index("ix_example_dataset_status", "dataset_id", "status"),
        Index("ix_example_dataset_label", "dataset_id", "label"),
        Index("ix_example_dataset_split", "dataset_id", "split"),
        Index("ix_example_dataset_hash", "dataset_id", "norm_hash"),
        # AUTOINCREMENT: ids are never reused, so undoing a delete can restore rows with
        # their old ids even after later imports (in any dataset) added rows
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True, ondelete="CASCADE")
    # Named input variables as a JSON object, e.g. {"text": "..."}
    input_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    # Imported conversations: the recognised system prompt and the turns before the
    # final assistant turn (JSON list of messages); null for variable-based examples
    system_prompt: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    conversation_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Imported OpenAI chat lines: the line's tool definitions (JSON list of
    # {"type": "function", "function": {...}}), so tool-call examples export intact
    tools_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    output_kind: str = Field(default="text", max_length=20)
    ideal_output: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(default="draft", max_length=20)
    label: str | None = Field(default=None, max_length=200)
    # Tags stored as "|a|b|" so one LIKE '%|a|%' filters portably (SQLite and PostgreSQL)
    tags: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    rating: int | None = Field(default=None)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    split: str | None = Field(default=None, max_length=20)
    # Set once a test example has been used by an evaluation run: re-splitting
    # never moves it without asking
    split_locked: bool = Field(default=False)
    source: str = Field(default="", max_length=500)
    source_line: int | None = Field(default=None)
    # sha256 of the normalised input text: exact-duplicate detection
    norm_hash: str = Field(default="", max_length=64)
    # Denormalised display text of the input, for the table, search and sort
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Who wrote the ideal output: "human", "teacher" (an accepted distil candidate) or
    # "" (not known: rows from before distillation, or no ideal output)
    ideal_source: str = Field(default="", max_length=20)
    # Synthetic inputs (source "synthetic"): JSON of how they were made (model, seed
    # rows, instruction, label quota, run); null for real rows
    provenance_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Row version: 1 on insert, +1 in the same UPDATE as every change, so an edit made
    # on a stale read is refused instead of overwriting someone else's (ISSUE-14 §3)
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    # Who made the last change (current_user()), for "changed by NAME at TIME"
    updated_by: str = Field(
        default="", sa_column=Column(String(200), nullable=False, server_default="")
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Operation(SQLModel, table=True):
    """One undoable change to a dataset (an edit, a bulk action, an import)."""

    __tablename__ = "operation"

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=50)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    count: int = Field(default=0)
    actor: str = Field(default="", max_length=200)
    at: datetime = Field(default_factory=utcnow)
    undone: bool = Field(default=False)


class ExampleHistory(SQLModel, table=True):
    """Before → after of one field of one example, so labels are accountable.

    ``example_id`` is deliberately not a foreign key: history outlives a deleted
    example (and undoing the delete restores it from here).
    """

    __tablename__ = "example_history"
    __table_args__ = (UniqueConstraint("op_id", "example_id", "field", name="uq_history_op_field"),)

    id: int | None = Field(default=None, primary_key=True)
    example_id: int = Field(index=True)
    dataset_id: int = Field(index=True)
    # No index of its own: the unique (op_id, example_id, field) index serves every
    # lookup by op_id (undo/redo, the ON DELETE CASCADE from operation)
    op_id: int | None = Field(default=None, foreign_key="operation.id", ondelete="CASCADE")
    field: str = Field(max_length=50)
    before_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    actor: str = Field(default="", max_length=200)
    at: datetime = Field(default_factory=utcnow)
