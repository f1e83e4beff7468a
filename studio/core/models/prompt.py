"""Prompts, their immutable versions, movable labels and the label history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from studio.core.models.common import utcnow


class Prompt(SQLModel, table=True):
    """A named prompt with an append-only list of versions."""

    __tablename__ = "prompt"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PromptVersion(SQLModel, table=True):
    """One immutable version: the whole call spec as canonical JSON plus its hash.

    ``spec_json`` holds ``{"messages", "model", "params", "response_schema", "tools"}``
    serialised canonically (sorted keys) so that ``content_hash`` identifies content.
    """

    __tablename__ = "prompt_version"
    __table_args__ = (UniqueConstraint("prompt_id", "version", name="uq_prompt_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True, ondelete="CASCADE")
    version: int
    spec_json: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64, index=True)
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    author: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    restored_from: int | None = Field(default=None)


# Its header pairs by shape with models/evaluation.py's EvalVariant (duplicates report):
# two tables' declarations.
class PromptLabel(SQLModel, table=True):
    """A label (``production``, ``staging``, ...) pointing at one version of a prompt."""

    __tablename__ = "prompt_label"
    __table_args__ = (UniqueConstraint("prompt_id", "name", name="uq_prompt_label_name"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    version_id: int = Field(foreign_key="prompt_version.id", ondelete="CASCADE")
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=200)


class LabelEvent(SQLModel, table=True):
    """Every label move, so rollback is visible: who moved which label from what to what."""

    __tablename__ = "label_event"

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True, ondelete="CASCADE")
    label: str = Field(max_length=100)
    from_version: int | None = Field(default=None)
    to_version: int | None = Field(default=None)
    actor: str = Field(default="", max_length=200)
    at: datetime = Field(default_factory=utcnow)
