"""Distillation: teacher answers stored as candidates for a row's ideal output.

A candidate is what the teacher (a proven prompt version on a big model) answered for
one example, with its provenance, so a reviewer can accept it as the row's ideal output
or reject it (docs/architecture.md). With ``samples > 1`` it holds the majority answer
and ``agreement``, the share of samples equal to it under the task's scorer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from studio.core.models.common import utcnow

# "audit": the teacher's answer on a row that already has an approved human ideal, asked
# only to measure the teacher (``distil outputs --audit N``); never accepted nor reviewed.
CANDIDATE_STATUSES = ("pending", "accepted", "rejected", "failed", "audit")


class Candidate(SQLModel, table=True):
    """One teacher answer proposed as an example's ideal output."""

    __tablename__ = "candidate"
    __table_args__ = (
        Index("ix_candidate_dataset_status", "dataset_id", "status"),
        Index("ix_candidate_example", "example_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", ondelete="CASCADE")
    example_id: int = Field(foreign_key="example.id", ondelete="CASCADE")
    # The distil run (an eval_run of kind "distil") that produced it
    run_id: int | None = Field(default=None, foreign_key="eval_run.id", ondelete="SET NULL")
    prompt_version_id: int | None = Field(
        default=None, foreign_key="prompt_version.id", ondelete="SET NULL"
    )
    prompt_ref: str = Field(default="", max_length=300)  # "NAME@VERSION" as run
    model: str = Field(default="", max_length=200)
    params_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    output_kind: str = Field(default="text", max_length=20)  # text | json | tool_calls
    output: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Classification: the label read from the answer as the label scorer reads it
    label: str | None = Field(default=None, max_length=200)
    samples: int = Field(default=1)
    agreement: float | None = Field(default=None)
    # False with ``reason`` when the answer broke the response_schema or the call failed
    valid: bool = Field(default=True)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default="pending", max_length=20)
    judge_score: float | None = Field(default=None)
    # Who gave judge_score (studio/core/distil/judging.py): the judge prompt version as
    # "NAME@N" (a label resolved when judging), its model and when (UTC). Set together
    # with the score, also when the answer was unreadable (score null, the judge still
    # named); all null when never judged, or scored before migration 0008 (not recorded).
    judge_ref: str | None = Field(default=None, max_length=300)
    judge_model: str | None = Field(default=None, max_length=200)
    judged_at: datetime | None = Field(default=None)
    tokens_in: int | None = Field(default=None)
    tokens_out: int | None = Field(default=None)
    cost_usd: float | None = Field(default=None)
    response_id: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = Field(default=None)
    decided_by: str = Field(default="", max_length=200)
