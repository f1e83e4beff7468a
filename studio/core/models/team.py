"""Many labellers on one dataset: assignments with their blind labels, and adjudications.

An ``annotation`` row says "labeller X is to label example E" (``label`` NULL) and,
once done, which label X chose. Rows labelled by two or more people (the overlap share)
measure agreement; their example label is set when the labels agree or by an
``adjudication`` decision (who, when, which label, the labels it chose between).
``example_id`` is not a foreign key, as in ``example_history``: an undone delete
restores the example with its id, and its assignments with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from studio.core.models.common import utcnow


class Annotation(SQLModel, table=True):
    """One labeller's assignment to one example, and the label they gave (blind)."""

    __tablename__ = "annotation"
    __table_args__ = (
        UniqueConstraint("example_id", "labeller", name="uq_annotation_example_labeller"),
        Index("ix_annotation_dataset_labeller", "dataset_id", "labeller"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", ondelete="CASCADE")
    example_id: int = Field(index=True)
    labeller: str = Field(max_length=200)
    # NULL until the labeller has labelled the example
    label: str | None = Field(default=None, max_length=200)
    # True for rows of the overlap share (assigned to more than one labeller)
    overlap: bool = Field(default=False)
    assigned_at: datetime = Field(default_factory=utcnow)
    at: datetime | None = Field(default=None)


class Adjudication(SQLModel, table=True):
    """A decision on an overlap example whose labellers disagreed."""

    __tablename__ = "adjudication"

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True, ondelete="CASCADE")
    example_id: int = Field(index=True)
    label: str = Field(max_length=200)
    # JSON object {labeller: label} of the labels the decision chose between
    labels_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    decided_by: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow)
