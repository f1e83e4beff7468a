"""Synthetic inputs: new rows written by a model from seed rows, never leaks of test.

(Signatures first; the body follows in the next commit.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.core.distil.plan import GenerationPlan
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken, ProgressCallback

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from studio.core.datasets.catalog import DatasetInfo
    from studio.core.db.project import Project


@dataclass(frozen=True)
class PlanEstimate:
    """Before Run: calls, tokens and cost (None when the model has no price)."""

    n_calls: int
    n_cached: int
    input_tokens: int
    output_tokens_estimated: int
    cost_usd: float | None
    price_note: str = ""


@dataclass(frozen=True)
class InputsOutcome:
    """What a run of a plan did.

    ``requested = generated + failed`` and ``generated = added + near_duplicates +
    test_leaks``.
    """

    requested: int
    generated: int
    added: int
    near_duplicates: int
    test_leaks: int
    failed: int
    calls: int
    cost_usd: float | None
    op_id: int | None
    cancelled: bool = False
    failed_calls: int = 0

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape."""
        return {
            "requested": self.requested,
            "generated": self.generated,
            "added": self.added,
            "near_duplicates": self.near_duplicates,
            "test_leaks": self.test_leaks,
            "failed": self.failed,
            "failed_calls": self.failed_calls,
            "calls": self.calls,
            "cost": self.cost_usd,
            "op": self.op_id,
            "cancelled": self.cancelled,
        }


def label_counts(project: Project, dataset: str | int) -> tuple[DatasetInfo, dict[str, int]]:
    """The dataset and its real rows per label outside the test split (not rejected)."""
    raise NotImplementedError


def estimate_plan(project: Project, plan: GenerationPlan, provider: ProviderConfig) -> PlanEstimate:
    """Calls, tokens and cost of a plan before any call."""
    raise NotImplementedError


def run_plan(
    project: Project,
    plan: GenerationPlan,
    *,
    provider: ProviderConfig,
    key: str | None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    client_factory: Callable[[], AsyncOpenAI] | None = None,
) -> InputsOutcome:
    """Run a plan: generate, drop near-duplicates and test leaks, add the rest as one op."""
    raise NotImplementedError
