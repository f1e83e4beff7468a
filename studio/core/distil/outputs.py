"""Teacher outputs for real inputs: a distil run on the A/B runner (ISSUE 13 §1).

API
---
``plan_outputs(project, spec: OutputsSpec) -> OutputsPlan``
    Before any call: which rows get a candidate, which are skipped and why, the number of
    calls, how many are cached and the cost estimate.
``create_outputs_run(project, spec) -> run_id``
    Stores an ``eval_run`` of kind ``"distil"`` with one ``eval_variant`` per sample.
``execute_outputs_run(project, run_id, *, key, ...) -> OutputsOutcome``
    Runs (or resumes) it through :func:`studio.core.evals.run_execute.execute_run` and
    writes one ``candidate`` per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.core.evals.calls import RunProgress
from studio.core.evals.limits import RunLimits
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from studio.core.db.project import Project


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

    def to_json(self) -> dict[str, Any]:
        """``{"run", "rows", "stored", "failed", "skipped", "calls", "cost"}``."""
        return {
            "run": self.run_id,
            "rows": self.rows,
            "stored": self.stored,
            "failed": self.failed,
            "skipped": self.skipped,
            "calls": self.calls,
            "cost": self.cost_usd,
        }


def plan_outputs(project: Project, spec: OutputsSpec) -> OutputsPlan:
    """The plan shown before any call."""
    raise NotImplementedError


def create_outputs_run(project: Project, spec: OutputsSpec) -> int:
    """Validate and store a distil run (status ``pending``)."""
    raise NotImplementedError


def execute_outputs_run(
    project: Project,
    run_id: int,
    *,
    key: str | None,
    progress: Callable[[RunProgress], None] | None = None,
    cancel: CancelToken | None = None,
    cache: bool = True,
    client_factory: Callable[[], AsyncOpenAI] | None = None,
    limits: RunLimits | None = None,
) -> OutputsOutcome:
    """Run or resume a distil run and write its candidates. Blocks: use a worker thread."""
    raise NotImplementedError
