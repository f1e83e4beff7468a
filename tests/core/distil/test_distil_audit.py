"""The audit sample of ``distil outputs`` (teacher answers on rows WITH a human ideal).

A real loopback server, real SQLite, the openai SDK. Expected figures are hand counts
from the project's construction below and the responder's rule; the teacher's accuracy
is counted by SQL and its interval computed with the Wilson formula written out here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import loopback, provider_for
from helpers.ab_project import LABELS, TEXTS, wrong_label
from helpers.distil_project import DistilProject, build_distil_project
from sqlalchemy import text

from studio.core.datasets.curation import add_example
from studio.core.db.project import Project, open_project
from studio.core.db.transactions import read_conn, write_tx
from studio.core.distil.candidates import candidate_counts, list_candidates
from studio.core.distil.evidence import distil_evidence
from studio.core.distil.outputs import (
    OutputsSpec,
    create_outputs_run,
    execute_outputs_run,
    plan_outputs,
)
from studio.core.distil.review import accept, edit_and_accept, reject
from studio.core.errors import ValidationError

N_ROWS, N_HUMAN, N_HUMAN_TEST = 20, 40, 6
_HUMAN = re.compile(r"human (\d+):")


class AuditResponder:
    """Right on queries; on ``human j`` rows wrong when j % 5 == 3, else the human's label."""

    def __init__(self, labels: dict[int, str]) -> None:
        self.labels = labels

    def __call__(self, body: dict[str, Any]) -> str:
        content = str(body["messages"][-1]["content"])
        m = _HUMAN.search(content)
        if m:
            j = int(m.group(1))
            label = LABELS[(j + 1) % len(LABELS)]  # the helper's human label of row j
            return wrong_label(label) if j % 5 == 3 else label
        q = re.search(r"query (\d+):", content)
        return self.labels[int(q.group(1))] if q else LABELS[0]


@pytest.fixture
def dp(tmp_path: Path, place: Callable[[Path], Path | str]) -> DistilProject:
    dp = build_distil_project(tmp_path / "a.studio", n_rows=N_ROWS, n_human=N_HUMAN, n_test=4)
    project = open_project(dp.path)
    try:
        # Approved human rows in the test split: never audited without include_test
        for j in range(N_HUMAN_TEST):
            label = LABELS[j % len(LABELS)]
            ch = add_example(
                project,
                dp.dataset_id,
                {"text": f"human {100 + j}: {TEXTS[label]}"},
                label=label,
                split="test",
                status="approved",
            )
            dp.test_ids.append(ch.example_ids[0])
        # One approved row whose ideal a teacher wrote: not a human ideal, never audited
        with write_tx(project) as conn:
            conn.execute(
                text("UPDATE example SET ideal_source = 'teacher' WHERE id = :i"),
                {"i": dp.human_ids[0]},
            )
    finally:
        project.close()
    dp.path = place(dp.path)  # type: ignore[assignment]  # a file or its server copy
    return dp


def _spec(server: Any, **kw: Any) -> OutputsSpec:
    return OutputsSpec(
        dataset="intents", prompt_ref="teacher@1", provider=provider_for(server), **kw
    )


def _wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval, 95 %, written out (z = the 97.5 % normal quantile)."""
    z = 1.959963984540054
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _audit_rows(project: Project) -> list[Any]:
    with read_conn(project) as conn:
        return list(
            conn.execute(
                text(
                    "SELECT c.example_id, c.label, c.valid, e.label AS human, e.split, "
                    "e.status, e.ideal_source FROM candidate c JOIN example e "
                    "ON e.id = c.example_id WHERE c.status = 'audit' ORDER BY c.example_id"
                )
            ).all()
        )


def test_audit_sample_stored_never_accepted_and_teacher_accuracy(dp: DistilProject) -> None:
    project = open_project(dp.path)
    try:
        with loopback(responder=AuditResponder(dp.labels)) as server:
            spec = _spec(server, audit=20)
            plan = plan_outputs(project, spec)
            # Pool: 40 approved human train rows minus the teacher-written one = 39
            # (labels: 10, 10, 10 and 9); 20 of 39 by label, largest remainders:
            # 20*10/39 = 5.13 (x3), 20*9/39 = 4.62 -> 5, 5, 5, 4, the spare one to the 4
            assert plan.rows == N_ROWS and plan.audit_rows == 20 and plan.audit_note == ""
            assert plan.n_calls == N_ROWS + 20 and plan.n_cached == 0
            assert plan_outputs(project, spec).audit_ids == plan.audit_ids  # seeded
            run_id = create_outputs_run(project, spec)
            outcome = execute_outputs_run(project, run_id, key=None)
            assert server.chat_requests == N_ROWS + 20
        js = outcome.to_json()
        assert (js["rows"], js["stored"], js["failed"], js["audit"]) == (N_ROWS, N_ROWS, 0, 20)
        assert js["calls"] == N_ROWS + 20

        audit = _audit_rows(project)
        assert [a.example_id for a in audit] == sorted(plan.audit_ids)
        assert len(audit) == 20
        allowed = set(dp.human_ids[1:])
        assert {a.example_id for a in audit} <= allowed
        assert not {a.example_id for a in audit} & set(dp.test_ids)
        assert all(a.split == "train" and a.status == "approved" for a in audit)
        assert all(a.ideal_source == "human" for a in audit)
        per_label = {lb: sum(1 for a in audit if a.human == lb) for lb in LABELS}
        assert sorted(per_label.values()) == [5, 5, 5, 5]

        counts = candidate_counts(project, "intents")
        assert (counts.pending, counts.audit, counts.total) == (N_ROWS, 20, N_ROWS + 20)
        assert len(list_candidates(project, "intents", status="audit")) == 20

        # Review never touches audit answers
        before = _examples(project, plan.audit_ids)
        result = accept(project, "intents")
        assert result.changed == N_ROWS and result.skipped.get("audit") == 20
        assert reject(project, "intents", example_ids=plan.audit_ids).changed == 0
        some = list_candidates(project, "intents", status="audit")[0]
        assert edit_and_accept(project, some.id, LABELS[0]).changed == 0
        assert _examples(project, plan.audit_ids) == before
        assert len(_audit_rows(project)) == 20

        # Teacher accuracy: SQL count of audit labels equal to the human's, Wilson by hand
        with read_conn(project) as conn:
            k, n = conn.execute(
                text(
                    "SELECT sum(CASE WHEN c.label = e.label THEN 1 ELSE 0 END), count(*) "
                    "FROM candidate c JOIN example e "
                    "ON e.id = c.example_id WHERE c.status = 'audit' AND c.valid = TRUE"
                )
            ).one()
        # The responder is wrong on human j with j % 5 == 3: some audit rows, not all
        assert 0 < k < n == 20
        ev = distil_evidence(project, "intents")
        assert (ev.teacher_correct, ev.teacher_compared, ev.teacher_from_audit) == (k, n, 20)
        assert ev.audit == 20 and ev.accepted == N_ROWS and ev.candidates == N_ROWS
        assert ev.teacher_accuracy_ci == pytest.approx(_wilson(k, n), abs=1e-12)
    finally:
        project.close()


def _examples(project: Project, ids: list[int]) -> list[Any]:
    with read_conn(project) as conn:
        return list(
            conn.execute(
                text(
                    "SELECT id, label, ideal_output, status, ideal_source FROM example "
                    f"WHERE id IN ({','.join(map(str, ids))}) ORDER BY id"
                )
            ).all()
        )


def test_fewer_rows_than_asked_all_of_them_and_a_rerun_asks_nothing(dp: DistilProject) -> None:
    project = open_project(dp.path)
    try:
        with loopback(responder=AuditResponder(dp.labels)) as server:
            plan = plan_outputs(project, _spec(server, audit=100))
            assert plan.audit_rows == 39 and "39" in plan.audit_note
            assert "test split" in plan.audit_note
            with_test = plan_outputs(project, _spec(server, audit=100, include_test=True))
            assert with_test.audit_rows == 39 + N_HUMAN_TEST
            run_id = create_outputs_run(project, _spec(server, audit=100))
            execute_outputs_run(project, run_id, key=None)
            assert server.chat_requests == N_ROWS + 39
            again = plan_outputs(project, _spec(server, audit=100))
            # Every query row has a pending candidate; every human row is audited
            assert again.rows == 0 and again.audit_rows == 0 and again.n_calls == 0
        assert len(_audit_rows(project)) == 39
    finally:
        project.close()


def test_negative_audit_is_refused(dp: DistilProject) -> None:
    project = open_project(dp.path)
    try:
        with pytest.raises(ValidationError) as exc:
            plan_outputs(project, _spec("http://127.0.0.1:9/v1", audit=-1))
        assert exc.value.where == "audit"
    finally:
        project.close()
