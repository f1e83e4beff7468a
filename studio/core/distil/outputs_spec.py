"""The records of a distil outputs run: what to ask, the plan, the outcome.

Re-exported by :mod:`studio.core.distil.outputs` (the API); kept apart so the modules
that do the work (:mod:`.outputs_select`, :mod:`.outputs_store`) need not import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.core.evals.limits import RunLimits
from studio.core.llm.providers import ProviderConfig


@dataclass(frozen=True)
class OutputsSpec:
    """What to ask the teacher. ``provider`` carries no key."""

    dataset: str | int
    prompt_ref: str  # "NAME@VERSION" or "NAME@label"
    provider: ProviderConfig
    model: str | None = None  # overrides the version's model
    example_ids: list[int] | None = None  # the --where/--ids selection; None = every row
    samples: int = 1
    temperature: float | None = None  # None: the version's (samples > 1 needs > 0)
    include_test: bool = False
    concurrency: int = 8
    limits: RunLimits | None = None
    name: str = ""
    # Also ask N rows that HAVE an approved human ideal, to measure the teacher: their
    # answers are stored as "audit" candidates (never accepted); see outputs_audit.py
    audit: int = 0
    # A judge prompt version that scores the run's candidates after the teacher's calls
    # (and after a resume's); stored in the run's plan resolved to NAME@N (run_judge.py)
    judge: str | None = None


@dataclass(frozen=True)
class OutputsPlan:
    """Before any call: rows that will get a candidate, skipped rows by reason, calls, cost."""

    rows: int
    skipped: dict[str, int]
    n_calls: int
    n_cached: int
    cost_usd: float | None
    price_note: str
    example_ids: list[int] = field(default_factory=list)
    # The audit sample (rows with an approved human ideal; their calls and cost are in
    # n_calls / n_cached / cost_usd): rows asked now, and a sentence when fewer than asked
    audit_rows: int = 0
    audit_ids: list[int] = field(default_factory=list)
    audit_note: str = ""


@dataclass(frozen=True)
class OutputsOutcome:
    """How a distil run ended."""

    run_id: int
    rows: int
    stored: int
    failed: int
    skipped: int
    calls: int
    cost_usd: float | None
    cancelled: bool
    failed_reason: str | None
    stop_kind: str | None = None  # "stalled" / "deadline" when a limit stopped the run
    pending: int = 0  # calls still without an answer (a resume sends them)
    audit: int = 0  # valid audit answers stored (rows with a human ideal, to measure the teacher)

    def to_json(self) -> dict[str, Any]:
        """``{"run", "rows", "stored", "failed", "skipped", "calls", "cost", "audit"}``."""
        return {
            "run": self.run_id,
            "rows": self.rows,
            "stored": self.stored,
            "failed": self.failed,
            "skipped": self.skipped,
            "calls": self.calls,
            "cost": self.cost_usd,
            "audit": self.audit,
        }
