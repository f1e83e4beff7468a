"""Accept / reject / edit teacher candidates as undoable dataset operations (issue 13 §3).

Candidates are written straight into a real project file (tests/helpers/distil_candidates.py);
what each action must change is counted by hand from that table and checked by reading
the database with a plain connection of its own, not through the code under test. Every
test runs on both backends: the file, and the same project copied to PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.backends import BACKENDS, on_backend, other_connection
from helpers.distil_candidates import CandidatesProject, add_candidate, build_candidates_project
from sqlalchemy import event

from studio.core.datasets import curation
from studio.core.datasets.catalog import create_dataset
from studio.core.datasets.operations import (
    OperationConflictError,
    history_line,
    list_operations,
    redo_operation,
    undo_operation,
)
from studio.core.datasets.queries import example_history
from studio.core.db.project import Project, open_project
from studio.core.distil.candidates import (
    candidate_counts,
    current_candidates,
    current_candidates_in,
    list_candidates,
)
from studio.core.distil.review import accept, edit_and_accept, reject
from studio.core.errors import NotFoundError, ValidationError


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> CandidatesProject:
    return build_candidates_project(tmp_path_factory.mktemp("distil") / "template.studio")


@pytest.fixture(params=BACKENDS)
def dp(
    request: pytest.FixtureRequest, template: CandidatesProject, tmp_path: Path
) -> CandidatesProject:
    """The template as a file, or copied to PostgreSQL (``path`` is then its URL)."""
    import shutil

    path = tmp_path / "p.studio"
    shutil.copyfile(template.path, path)
    where = on_backend(request, path, request.param)
    return CandidatesProject(
        where,  # type: ignore[arg-type]
        template.dataset_id,
        template.examples,
        template.candidates,
        template.old_candidate,
    )


@pytest.fixture
def project(dp: CandidatesProject) -> Iterator[Project]:
    p = open_project(dp.path)
    try:
        yield p
    finally:
        p.close()


def _examples(where: Path | str) -> dict[int, tuple[Any, ...]]:
    """id -> (ideal_output, label, status, ideal_source, output_kind), read on a connection
    of its own."""
    with other_connection(where) as conn:
        return {
            r[0]: tuple(r[1:])
            for r in conn.execute(
                "SELECT id, ideal_output, label, status, ideal_source, output_kind FROM example"
            )
        }


def _candidates(where: Path | str) -> dict[int, tuple[Any, ...]]:
    """id -> (status, decided_at, decided_by)."""
    with other_connection(where) as conn:
        return {
            r[0]: (r[1], r[2], r[3])
            for r in conn.execute("SELECT id, status, decided_at, decided_by FROM candidate")
        }


def test_accept_where_agreement_is_one(dp: CandidatesProject, project: Project) -> None:
    ex, cand = dp.examples, dp.candidates
    before_ex, before_c = _examples(dp.path), _candidates(dp.path)

    result = accept(project, "intents", min_agreement=1.0)

    # By hand from CASES: four pending, valid, agreement-1 answers with a readable label
    assert result.changed == 4
    assert result.skipped == {
        "human_approved": 1,
        "below_agreement": 1,  # low_agreement (0.6)
        "invalid": 2,  # failed, invalid
        "no_agreement": 1,  # unmeasured
        "no_label": 1,  # "I do not know"
    }
    assert result.description == "Accept 4 teacher outputs"
    after = _examples(dp.path)
    want = {
        "teacher_refund": "refund",
        "teacher_card": "card_lost",
        "teacher_balance": "balance",
        "teacher_refund2": "refund",
    }
    for key, label in want.items():
        assert after[ex[key]] == (label, label, "approved", "teacher", "text"), key
    assert set(result.example_ids) == {ex[k] for k in want}
    # Everything else is untouched, the approved human label above all
    for key, eid in ex.items():
        if key not in want:
            assert after[eid] == before_ex[eid], key
    assert after[ex["human"]][:3] == ("refund", "refund", "approved")
    cands = _candidates(dp.path)
    for key in want:
        status, at, by = cands[cand[key]]
        assert (status, by) == ("accepted", "tester") and at is not None
    for key, cid in cand.items():
        if key not in want:
            assert cands[cid] == before_c[cid], key
    assert cands[dp.old_candidate] == before_c[dp.old_candidate]  # older one not touched

    ops = list_operations(project, dp.dataset_id)
    assert [(o.kind, o.description, o.count, o.actor) for o in ops[:1]] == [
        ("distil_accept", "Accept 4 teacher outputs", 4, "tester")
    ]
    # History names the candidate decision and the ideal output change
    lines = [history_line(h) for h in example_history(project, ex["teacher_card"])]
    assert f"candidate {cand['teacher_card']}: pending → accepted (Accept 4 teacher outputs)" in (
        lines
    )
    assert "ideal output: (none) → card_lost (Accept 4 teacher outputs)" in lines


def test_undo_restores_ideals_and_candidate_statuses(
    dp: CandidatesProject, project: Project
) -> None:
    before_ex, before_c = _examples(dp.path), _candidates(dp.path)
    result = accept(project, dp.dataset_id, min_agreement=1.0)
    accepted_ex, accepted_c = _examples(dp.path), _candidates(dp.path)
    assert accepted_ex != before_ex

    done = undo_operation(project, dp.dataset_id)
    assert [s.op_id for s in done] == [result.op_id]
    assert _examples(dp.path) == before_ex  # ideal outputs, labels, statuses, ideal_source
    assert _candidates(dp.path) == before_c  # pending again, decided_at/by cleared

    redo_operation(project, dp.dataset_id, result.op_id or 0)
    redone_ex = _examples(dp.path)
    assert {k: v for k, v in redone_ex.items()} == accepted_ex
    assert _candidates(dp.path) == accepted_c


def test_undo_is_refused_when_a_later_edit_touched_the_row(
    dp: CandidatesProject, project: Project
) -> None:
    result = accept(project, dp.dataset_id, min_agreement=1.0)
    curation.update_example(project, dp.examples["teacher_card"], ideal_output="lost card")
    with pytest.raises(OperationConflictError):
        undo_operation(project, dp.dataset_id, result.op_id)


def test_include_invalid_and_filters(dp: CandidatesProject, project: Project) -> None:
    ex = dp.examples
    # Only two rows, invalid answers allowed: "invalid" has an output and is accepted;
    # "failed" has none
    result = accept(project, "intents", example_ids=[ex["invalid"], ex["failed"]], only_valid=False)
    assert (result.changed, result.skipped) == (1, {"no_output": 1})
    assert _examples(dp.path)[ex["invalid"]][:4] == ("refund", "refund", "approved", "teacher")

    # No agreement filter: every remaining pending one with a label (low_agreement,
    # unmeasured and the four teacher rows), the rest skipped for their reasons
    result = accept(project, "intents")
    assert result.changed == 6
    assert result.skipped == {
        "human_approved": 1,
        "invalid": 1,  # failed (only_valid)
        "no_label": 1,
        "already_accepted": 1,
    }


def test_named_candidates_and_a_change_of_mind(dp: CandidatesProject, project: Project) -> None:
    ex, cand = dp.examples, dp.candidates
    # The older rejected candidate of teacher_refund can be accepted by name
    result = accept(project, "intents", candidate_ids=[dp.old_candidate])
    assert result.changed == 1
    assert _examples(dp.path)[ex["teacher_refund"]][:2] == ("balance", "balance")
    # Naming two candidates of one example accepts the newest only
    result = accept(project, "intents", candidate_ids=[dp.old_candidate, cand["teacher_refund"]])
    assert (result.changed, result.skipped) == (1, {"same_example": 1})
    assert _examples(dp.path)[ex["teacher_refund"]][:2] == ("refund", "refund")
    # Bulk accept never takes a rejected candidate back
    reject(project, "intents", candidate_ids=[cand["low_agreement"]])
    result = accept(project, "intents", example_ids=[ex["low_agreement"]])
    assert (result.changed, result.skipped) == (0, {"rejected": 1})
    assert result.op_id is None


def test_reject_below_agreement(dp: CandidatesProject, project: Project) -> None:
    ex, cand = dp.examples, dp.candidates
    before_ex = _examples(dp.path)
    result = reject(project, "intents", min_agreement=0.8)
    # Pending with agreement < 0.8: low_agreement only. unmeasured has none; failed is failed
    assert result.changed == 1
    assert result.skipped == {
        "at_or_above_agreement": 7,  # human, 4 teacher rows, invalid, no_label
        "no_agreement": 1,
        "failed": 1,
    }
    assert result.description == "Reject 1 teacher output"
    assert _candidates(dp.path)[cand["low_agreement"]][0] == "rejected"
    assert _examples(dp.path) == before_ex  # rejecting writes no ideal output
    undo_operation(project, dp.dataset_id)
    assert _candidates(dp.path)[cand["low_agreement"]] == ("pending", None, "")
    # A named accepted candidate is not rejected (undo is the way back)
    accept(project, "intents", candidate_ids=[cand["teacher_card"]])
    result = reject(project, "intents", candidate_ids=[cand["teacher_card"]])
    assert (result.changed, result.skipped) == (0, {"already_accepted": 1})
    assert _examples(dp.path)[ex["teacher_card"]][0] == "card_lost"


def test_edit_and_accept_records_a_human_ideal(dp: CandidatesProject, project: Project) -> None:
    ex, cand = dp.examples, dp.candidates
    before_ex, before_c = _examples(dp.path), _candidates(dp.path)
    result = edit_and_accept(project, cand["no_label"], "Balance")
    assert result.changed == 1
    assert result.description == f"Edit and accept the teacher output of example {ex['no_label']}"
    # Read as a label (label scorer: "Balance" is the known label balance); a human wrote it
    assert _examples(dp.path)[ex["no_label"]] == ("balance", "balance", "approved", "human", "text")
    assert _candidates(dp.path)[cand["no_label"]][0] == "accepted"
    # A label the dataset does not know is taken as typed and added to its labels
    edit_and_accept(project, cand["low_agreement"], "  lost_pin ")
    assert _examples(dp.path)[ex["low_agreement"]][:2] == ("lost_pin", "lost_pin")
    with other_connection(dp.path) as conn:
        labels = conn.execute("SELECT label_set_json FROM dataset").fetchone()[0]
    assert "lost_pin" in labels
    # The approved human label is never overwritten
    result = edit_and_accept(project, cand["human"], "balance")
    assert (result.changed, result.skipped, result.op_id) == (0, {"human_approved": 1}, None)
    undo_operation(project, dp.dataset_id)
    undo_operation(project, dp.dataset_id)
    assert _examples(dp.path) == before_ex
    assert _candidates(dp.path) == before_c
    with pytest.raises(ValidationError):
        edit_and_accept(project, cand["no_label"], "   ")
    with pytest.raises(NotFoundError):
        edit_and_accept(project, 99999, "refund")


def test_json_candidates(project: Project) -> None:
    schema = {
        "type": "object",
        "properties": {"intent": {"type": "string"}},
        "required": ["intent"],
    }
    ds = create_dataset(project, "extract", "extraction", output_schema=schema).id
    ids = [
        curation.add_example(project, ds, {"text": f"message {i}"}).example_ids[0] for i in range(3)
    ]
    ok = add_candidate(
        project, ds, ids[0], output='{"intent": "refund"}', output_kind="json", agreement=1.0
    )
    add_candidate(project, ds, ids[1], output='{"other": 1}', output_kind="json", agreement=1.0)
    bad = add_candidate(project, ds, ids[2], output='{"intent": "x"}', output_kind="json")
    result = accept(project, "extract")
    assert (result.changed, result.skipped) == (2, {"schema_mismatch": 1})
    rows = _examples(project.location)
    assert rows[ids[0]] == ('{"intent": "refund"}', None, "approved", "teacher", "json")
    assert rows[ids[1]][2] == "draft"
    # An edit must still be valid JSON that fits the schema
    with pytest.raises(ValidationError):
        edit_and_accept(project, bad, '{"intent": ')
    with pytest.raises(ValidationError):
        edit_and_accept(project, bad, '{"nope": 1}')
    edit_and_accept(project, bad, '{"intent": "card_lost"}')
    assert _examples(project.location)[ids[2]] == (
        '{"intent": "card_lost"}',
        None,
        "approved",
        "human",
        "json",
    )
    assert ok


def test_listing_current_and_counts(dp: CandidatesProject, project: Project) -> None:
    ex, cand = dp.examples, dp.candidates
    rows = list_candidates(project, "intents")
    assert len(rows) == 11  # ten cases with a candidate + the older one
    pending = list_candidates(project, dp.dataset_id, status="pending")
    assert {r.id for r in pending} == {
        cand[k] for k in cand if k != "failed"
    }  # all but the failed one
    by_id = {r.id: r for r in rows}
    human = by_id[cand["human"]]
    assert (human.human_ideal, human.input_text) == ("refund", "customer message 0 (human)")
    assert by_id[cand["teacher_card"]].human_ideal is None
    assert by_id[cand["failed"]].reason == "timeout" and not by_id[cand["failed"]].valid
    some = list_candidates(project, "intents", example_ids=[ex["teacher_refund"]])
    assert [r.id for r in some] == [dp.old_candidate, cand["teacher_refund"]]
    with pytest.raises(ValidationError):
        list_candidates(project, "intents", status="maybe")
    with pytest.raises(NotFoundError):
        list_candidates(project, "nope")

    current = current_candidates(project, list(ex.values()))
    assert set(current) == {ex[k] for k in cand}  # no_candidate has none
    assert current[ex["teacher_refund"]].id == cand["teacher_refund"]  # newest, not the old

    # One query whatever the number of ids
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(project.engine, "before_cursor_execute", count)
    try:
        with project.engine.connect() as conn:
            current_candidates_in(conn, list(range(1, 5000)))
    finally:
        event.remove(project.engine, "before_cursor_execute", count)
    assert len(statements) == 1

    counts = candidate_counts(project, "intents")
    assert (counts.pending, counts.accepted, counts.rejected, counts.failed) == (9, 0, 1, 1)
    assert counts.cost_usd == pytest.approx(11 * 0.002)
    accept(project, "intents", min_agreement=1.0)
    counts = candidate_counts(project, "intents")
    assert (counts.pending, counts.accepted, counts.rejected, counts.failed) == (5, 4, 1, 1)


def test_bad_agreement_and_dataset(project: Project) -> None:
    with pytest.raises(ValidationError):
        accept(project, "intents", min_agreement=1.5)
    with pytest.raises(NotFoundError):
        reject(project, "nope")
