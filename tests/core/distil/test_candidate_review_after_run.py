"""Review after a real teacher run: outputs on a loopback server (openai SDK; the project a
file, or copied to PostgreSQL),
then "accept where agreement = 1 and valid", undo, and the teacher's labels in the rows.

Expected figures are hand counts from the responder's rules (helpers/distil_project.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpers import loopback, provider_for
from helpers.ab_project import wrong_label
from helpers.backends import other_connection
from helpers.distil_project import TeacherResponder, build_distil_project

from studio.core.datasets.operations import list_operations, undo_operation
from studio.core.db.project import open_project
from studio.core.distil.candidates import candidate_counts
from studio.core.distil.outputs import OutputsSpec, create_outputs_run, execute_outputs_run
from studio.core.distil.review import accept, reject

N = 30


def _rows(where: Path | str) -> dict[int, tuple[str | None, str | None, str, str]]:
    with other_connection(where) as conn:
        return {
            r[0]: (r[1], r[2], r[3], r[4])
            for r in conn.execute(
                "SELECT id, ideal_output, label, status, ideal_source FROM example"
            )
        }


def test_accept_unanimous_answers_of_a_sampled_run(
    tmp_path: Path, place: Callable[[Path], Path | str]
) -> None:
    dp = build_distil_project(tmp_path / "d.studio", n_rows=N, n_human=4, n_test=3)
    dp.path = place(dp.path)  # type: ignore[assignment]
    labels = dp.labels
    # Three samples per row. Rows 0, 5, 10: the samples disagree (2 of 3); rows 3 and
    # 13: the teacher is consistently wrong (unanimous, so accepted with a wrong label).
    split = {0, 5, 10}
    wrong = {3, 13}
    plan = {i: [labels[i], wrong_label(labels[i]), labels[i]] for i in split}
    responder = TeacherResponder(labels, wrong=wrong, sample_plan=plan)
    before = _rows(dp.path)
    project = open_project(dp.path)
    try:
        with loopback(responder=responder) as server:
            spec = OutputsSpec(
                dataset="intents", prompt_ref="teacher@2", provider=provider_for(server), samples=3
            )
            run_id = create_outputs_run(project, spec)
            outcome = execute_outputs_run(project, run_id, key=None)
        assert (outcome.stored, outcome.failed, outcome.calls) == (N, 0, 3 * N)

        result = accept(project, "intents", min_agreement=1.0)
        assert result.changed == N - len(split)
        assert result.skipped == {"below_agreement": len(split)}
        assert result.description == f"Accept {N - len(split)} teacher outputs"
        after = _rows(dp.path)
        for i, ex_id in enumerate(dp.row_ids):
            if i in split:
                assert after[ex_id] == before[ex_id], i
                continue
            want = wrong_label(labels[i]) if i in wrong else labels[i]
            assert after[ex_id] == (want, want, "approved", "teacher"), i
        for ex_id in dp.human_ids + dp.test_ids:
            assert after[ex_id] == before[ex_id]
        counts = candidate_counts(project, "intents")
        assert (counts.accepted, counts.pending) == (N - len(split), len(split))

        # The split rows' agreement is 2/3: rejecting below 0.9 takes exactly them
        rejected = reject(project, "intents", min_agreement=0.9)
        assert rejected.changed == len(split)
        assert [o.description for o in list_operations(project, dp.dataset_id)[:2]] == [
            f"Reject {len(split)} teacher outputs",
            f"Accept {N - len(split)} teacher outputs",
        ]
        undo_operation(project, dp.dataset_id)
        undo_operation(project, dp.dataset_id)
        assert _rows(dp.path) == before
        counts = candidate_counts(project, "intents")
        assert (counts.pending, counts.accepted, counts.rejected) == (N, 0, 0)
    finally:
        project.close()
