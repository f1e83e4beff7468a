"""Distil evidence after a real teacher run (loopback server, the openai SDK, the project a
file or copied to PostgreSQL):
the teacher's accuracy on rows a person labelled, against a hand count and scipy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import loopback, provider_for
from helpers.distil_project import TeacherResponder, build_distil_project
from scipy.stats import binomtest
from sqlalchemy import text

from studio.core.db.project import open_project
from studio.core.db.transactions import write_tx
from studio.core.distil.evidence import distil_evidence
from studio.core.distil.outputs import (
    OutputsSpec,
    create_outputs_run,
    execute_outputs_run,
)

N = 60
LABELLED = 20  # queries 0..19: a person set their label (draft rows, so the teacher is asked)


def test_teacher_accuracy_after_a_teacher_run(
    tmp_path: Path, place: Callable[[Path], Path | str]
) -> None:
    dp = build_distil_project(tmp_path / "d.studio", n_rows=N)
    dp.path = place(dp.path)  # type: ignore[assignment]
    project = open_project(dp.path)
    try:
        with write_tx(project) as conn:
            for i in range(LABELLED):
                conn.execute(
                    text("UPDATE example SET label = :l, ideal_source = 'human' WHERE id = :id"),
                    {"l": dp.labels[i], "id": dp.row_ids[i]},
                )
        wrong = {i for i in range(N) if i % 10 == 7}  # wrong on 7, 17, 27, ...
        with loopback(responder=TeacherResponder(dp.labels, wrong=wrong)) as server:
            spec = OutputsSpec(
                dataset="intents", prompt_ref="teacher@1", provider=provider_for(server)
            )
            run_id = create_outputs_run(project, spec)
            outcome = execute_outputs_run(project, run_id, key=None)
        assert outcome.stored == N
        ev = distil_evidence(project, "intents")
        # the labelled queries 0..19, wrong on 7 and 17: 18 of 20
        assert (ev.teacher_correct, ev.teacher_compared) == (18, 20)
        ci = binomtest(18, 20).proportion_ci(method="wilson")
        assert ev.teacher_accuracy_ci == pytest.approx((ci.low, ci.high))
        assert (ev.pending, ev.accepted, ev.rejected, ev.failed) == (N, 0, 0, 0)
        assert ev.agreement_hist == {"single sample": N}
        # 20 labelled here + 10 approved human rows of the fixture; nothing synthetic
        assert (ev.human_ideals, ev.teacher_ideals, ev.synthetic_inputs) == (30, 0, 0)
    finally:
        project.close()
