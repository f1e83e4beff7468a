"""The demo's last step of the distil loop: student vs teacher on the test split (ISSUE 13 §5).

After the distil step (:mod:`studio.core.demo.distil`) a small model would be fine-tuned
on the accepted teacher answers; the demo plays that student with the simulated model
(:data:`studio.core.demo.run.STUDENT_MODEL`, a few points below the teacher and clearly
above its un-tuned base model) and records the A/B across models of issue 7:
``banking-intent@4`` on the teacher (``gpt-4.1``) against the same version on the student,
through the real runner against the loopback server, with the demo's recorded note. The
Evaluate view and ``studio runs show`` show its verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.core.demo.simulated_server import SimulatedModelServer
from studio.core.llm.providers import ProviderConfig

if TYPE_CHECKING:
    from studio.core.db.project import Project


def add_demo_student(project: Project, dataset: str | int | None = None) -> int:
    """Record teacher vs student (v4 on both) on the demo's test split; returns the run id.

    Raises:
        NotFoundError: the demo dataset or the banking-intent prompt is missing.
    """
    from studio.core.datasets.catalog import get_dataset
    from studio.core.demo.run import (
        CANDIDATE_VERSION,
        DEMO_PROMPT,
        LARGE_MODEL,
        STUDENT_MODEL,
        SimulatedIntentModel,
        _find_dataset,
        _labels_by_text,
        record_demo_ab,
    )
    from studio.core.evals.run_setup import VariantSpec

    dataset_id, _name = _find_dataset(project, dataset)
    label_set = list(get_dataset(project, dataset_id).label_set)
    model = SimulatedIntentModel(_labels_by_text(project, dataset_id), label_set)
    with SimulatedModelServer(responder=model, latency=model.latency, exact_usage=True) as server:
        provider = ProviderConfig(
            name="Local loopback (simulated model)", base_url=server.base_url, kind="compatible"
        )
        ref = f"{DEMO_PROMPT}@{CANDIDATE_VERSION}"
        return record_demo_ab(
            project,
            dataset_id,
            provider,
            f"{DEMO_PROMPT} v{CANDIDATE_VERSION}: teacher {LARGE_MODEL} vs student (demo)",
            [VariantSpec(ref, model=LARGE_MODEL), VariantSpec(ref, model=STUDENT_MODEL)],
        )
