"""Which process is answering which case of a run (ISSUE-14 §4: runs from several machines).

Several processes (``studio runs resume RUN --join``, possibly on other machines) may
execute one A/B or distil run together. Each claims a batch of the run's cases
``(variant, example)`` in a transaction before it calls the model: the unique
``(variant_id, example_id)`` makes a case claimable once, so no case is paid for twice.
``worker`` names the claiming process's liveness lock (:mod:`studio.core.evals.run_workers`):
the claims of a worker whose lock is gone, and whose case has no stored result
(``done_at`` NULL), are taken over by the others. ``done_at`` is set in the same commit
as the case's ``eval_result`` row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from studio.core.models.common import utcnow


class RunClaim(SQLModel, table=True):
    """One case of a run claimed by one worker."""

    __tablename__ = "run_claim"
    __table_args__ = (
        UniqueConstraint("variant_id", "example_id", name="uq_run_claim_variant_example"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="eval_run.id", index=True, ondelete="CASCADE")
    variant_id: int = Field(foreign_key="eval_variant.id", ondelete="CASCADE")
    example_id: int
    worker: str = Field(max_length=100)
    claimed_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = Field(default=None)
