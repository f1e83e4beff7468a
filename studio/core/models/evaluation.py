"""A/B evaluation runs, their variants, per-call results, preferences and the cache."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from studio.core.models.common import utcnow

RUN_STATUSES = ("pending", "running", "completed", "cancelled", "failed")


class EvalRun(SQLModel, table=True):
    """One comparison of prompt versions on a dataset split."""

    __tablename__ = "eval_run"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=200)
    # "ab" (a comparison of prompt versions) or "distil" (teacher answers for candidates)
    kind: str = Field(default="ab", max_length=20)
    dataset_id: int | None = Field(default=None, foreign_key="dataset.id", ondelete="SET NULL")
    split: str = Field(default="test", max_length=20)
    scorer: str = Field(default="exact", max_length=50)
    scorer_config_json: str = Field(
        default="{}", sa_column=Column(Text, nullable=False, default="{}")
    )
    # Provider settings WITHOUT any key: name, kind, base_url, api_version
    provider_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    concurrency: int = Field(default=8)
    status: str = Field(default="pending", max_length=20)
    # A note such as "recorded against a local loopback server" for demo runs
    recorded_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = Field(default=None)
    finished_at: datetime | None = Field(default=None)


class EvalVariant(SQLModel, table=True):
    """One side of a comparison: a prompt version called on a model."""

    __tablename__ = "eval_variant"
    __table_args__ = (UniqueConstraint("run_id", "position", name="uq_variant_position"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="eval_run.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    prompt_version_id: int | None = Field(
        default=None, foreign_key="prompt_version.id", ondelete="SET NULL"
    )
    label: str = Field(default="", max_length=300)  # "NAME@VERSION" (and model)
    model: str = Field(default="", max_length=200)
    params_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class EvalResult(SQLModel, table=True):
    """The outcome of one call: stored as it arrives, so a run can resume."""

    __tablename__ = "eval_result"
    __table_args__ = (
        UniqueConstraint("variant_id", "example_id", name="uq_result_variant_example"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="eval_run.id", index=True, ondelete="CASCADE")
    variant_id: int = Field(foreign_key="eval_variant.id", index=True, ondelete="CASCADE")
    example_id: int = Field(index=True)
    output: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tool_calls_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error_kind: str | None = Field(default=None, max_length=50)
    latency_ms: float | None = Field(default=None)
    tokens_in: int | None = Field(default=None)
    tokens_out: int | None = Field(default=None)
    cost_usd: float | None = Field(default=None)
    cached: bool = Field(default=False)
    attempts: int = Field(default=1)
    passed: bool | None = Field(default=None)
    score: float | None = Field(default=None)
    score_detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    request_hash: str = Field(default="", max_length=64)
    # The provider's id of the response (distil provenance); "" when cached or unknown
    response_id: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Preference(SQLModel, table=True):
    """A pairwise preference between two variants' outputs for one example."""

    __tablename__ = "preference"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="eval_run.id", index=True, ondelete="CASCADE")
    example_id: int = Field(index=True)
    variant_a_id: int = Field(foreign_key="eval_variant.id", ondelete="CASCADE")
    variant_b_id: int = Field(foreign_key="eval_variant.id", ondelete="CASCADE")
    choice: str = Field(max_length=10)  # "a", "b" or "tie"
    source: str = Field(default="human", max_length=20)  # "human" or "judge"
    shown_left: str = Field(default="a", max_length=1)  # which side was shown on the left
    rater: str = Field(default="", max_length=200)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)


class ResponseCache(SQLModel, table=True):
    """Successful model responses keyed by a hash of everything that shapes them (never the key)."""

    __tablename__ = "response_cache"

    key: str = Field(primary_key=True, max_length=64)
    response_json: str = Field(sa_column=Column(Text, nullable=False))
    model: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
