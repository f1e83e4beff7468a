"""Synthetic inputs (ISSUE 13 §2) against a real loopback OpenAI-compatible server.

The figures are hand counts from the plan and the model's answer pattern
(tests/helpers/synthetic_inputs.py), and the database is checked by brute force with
rapidfuzz, independently of the code under test. Every test that touches a project runs on
both backends (the file, and the same project copied to PostgreSQL).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import loopback, provider_for
from helpers.backends import BACKENDS, on_backend, other_connection
from helpers.synthetic_inputs import CopyingModel, InputsProject, build_inputs_project
from rapidfuzz.distance import Indel

from studio.core.datasets.normalize import normalize_text
from studio.core.datasets.operations import redo_operation, undo_operation
from studio.core.db.project import Project, open_project
from studio.core.distil.input_calls import parse_inputs
from studio.core.distil.inputs import estimate_plan, run_plan
from studio.core.distil.plan import (
    GenerationPlan,
    PlanCell,
    balanced_quotas,
    make_plan,
)
from studio.core.errors import ValidationError
from studio.core.progress import CancelToken


@pytest.fixture(params=BACKENDS)
def built(request: pytest.FixtureRequest, tmp_path: Path) -> InputsProject:
    """The project as a file, or copied to PostgreSQL (``path`` is then its URL)."""
    made = build_inputs_project(tmp_path / "p.studio")
    made.path = on_backend(request, made.path, request.param)  # type: ignore[assignment]
    return made


def _rows(
    where: Path | str,
) -> list[tuple[int, str, str | None, str | None, str, str | None, str]]:
    with other_connection(where) as conn:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT id, search_text, label, split, source, provenance_json, status "
                "FROM example ORDER BY id"
            ).fetchall()
        ]


def test_balanced_quotas_fill_the_rarest_label_first() -> None:
    # Hand count (plan.py docstring): a=10, b=2, c=5, 10 new: b +3 (to 5), then b and c
    # alternate to 8 (+3 each), the last tie goes to b (listed first): b 7, c 3, a 0.
    assert balanced_quotas({"a": 10, "b": 2, "c": 5}, ["a", "b", "c"], 10) == {
        "a": 0,
        "b": 7,
        "c": 3,
    }
    # A label with no rows at all gets the most
    assert balanced_quotas({"a": 3}, ["a", "z"], 5) == {"a": 1, "z": 4}


def test_make_plan_grid_counts_add_up_and_balance_labels(built: InputsProject) -> None:
    project = open_project(built.path)
    try:
        plan = make_plan(
            project, "bank", model="m", count=16, per_label=True, instructions=["short", "long"]
        )
        # Train rows: card_arrival 10, exchange_rate 2, lost_or_stolen_card 5 (test rows do
        # not count). By hand: exchange_rate +3 (to 5); exchange_rate and lost alternate to
        # 10 (+5 each); then all three are at 10 and the 3 left go one each in label-set
        # order. exchange_rate 9, lost 6, card 1: every label ends at 11.
        grid = {(c.label, c.instruction): c.count for c in plan.cells}
        assert grid == {
            ("card_arrival", "short"): 1,
            ("card_arrival", "long"): 0,
            ("exchange_rate", "short"): 5,
            ("exchange_rate", "long"): 4,
            ("lost_or_stolen_card", "short"): 3,
            ("lost_or_stolen_card", "long"): 3,
        }
        assert plan.total == 16
        # Calls of 5: 5 | 4 | 3 | 3 | 1 (the empty cell makes none)
        assert plan.n_calls == 5
        # Without --per-label: one unlabelled row over the built-in variations, exact sum
        free = make_plan(project, "bank", model="m", count=7)
        assert {c.label for c in free.cells} == {None}
        assert sum(c.count for c in free.cells) == 7
        assert len(free.cells) >= 3
        with pytest.raises(ValidationError) as exc:
            make_plan(project, "bank", model="m", count=0)
        assert exc.value.where == "count"
    finally:
        project.close()


def test_plan_json_round_trip_and_bad_fields() -> None:
    plan = GenerationPlan("bank", "m", [PlanCell("a", "short", 3), PlanCell(None, "x", 2)])
    again = GenerationPlan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again.to_json() == plan.to_json()
    bad = plan.to_json()
    bad["cells"][1]["count"] = -1
    with pytest.raises(ValidationError) as exc:
        GenerationPlan.from_json(bad)
    assert exc.value.where == "cells[1].count"
    bad = plan.to_json()
    del bad["model"]
    with pytest.raises(ValidationError) as exc:
        GenerationPlan.from_json(bad)
    assert exc.value.where == "model"


def test_parse_inputs_reads_what_models_send() -> None:
    assert parse_inputs('{"inputs": ["a", "b", "c"]}', ["text"], 2) == [
        {"text": "a"},
        {"text": "b"},
    ]
    fenced = 'Here you go:\n```json\n{"examples": [{"text": "x"}, "", 3]}\n```'
    assert parse_inputs(fenced, ["text"], 5) == [{"text": "x"}]
    assert parse_inputs('[{"q": "a", "ctx": "b"}, {"q": "c"}]', ["q", "ctx"], 5) == [
        {"q": "a", "ctx": "b"}
    ]
    assert parse_inputs("no json here", ["text"], 5) is None


def test_run_plan_drops_near_duplicates_refuses_test_leaks_and_undoes(
    built: InputsProject,
) -> None:
    test_texts = [t for t, _ in built.test.values()]
    model = CopyingModel(test_texts)
    before = _rows(built.path)
    project = open_project(built.path)
    try:
        plan = make_plan(
            project,
            "bank",
            model="loopback-small",
            count=16,
            per_label=True,
            examples=3,
            instructions=["short", "long"],
        )
        with loopback(responder=model, record_bodies=True) as server:
            provider = provider_for(server)
            estimate = estimate_plan(project, plan, provider)
            assert (estimate.n_calls, estimate.n_cached) == (5, 0)
            assert estimate.input_tokens > 0 and estimate.output_tokens_estimated > 0
            out = run_plan(project, plan, provider=provider, key=None)
            bodies = list(server.chat_bodies)
            # Running the same plan again: every call from the cache, nothing new added
            again = run_plan(project, plan, provider=provider, key=None)
            assert len(server.chat_bodies) == len(bodies)
    finally:
        project.close()

    # Hand count over the 5 calls asking 5, 4, 3, 3, 1 inputs (answer pattern: helper):
    #   asked 5: added 1, near-dup 2 (example copy, copy of item 0), leaks 2
    #   asked 4: added 1, near-dup 1, leaks 2
    #   asked 3: added 1, near-dup 1, leaks 1   (twice)
    #   asked 1: added 1
    # added 5, near-duplicates 2+1+1+1 = 5, test leaks 2+2+1+1 = 6, 16 generated.
    assert (out.requested, out.generated, out.failed) == (16, 16, 0)
    assert (out.added, out.near_duplicates, out.test_leaks) == (5, 5, 6)
    assert out.calls == 5 and model.calls == 5 and out.op_id is not None
    assert (again.calls, again.added, again.op_id) == (0, 0, None)
    assert (again.near_duplicates, again.test_leaks) == (10, 6)  # the 5 added are rows now

    after = _rows(built.path)
    new = [r for r in after if r[0] not in {b[0] for b in before}]
    assert len(new) == 5
    # Exactly the model's new texts were added, none in test, all synthetic for review
    assert sorted(r[1] for r in new) == sorted(model.novel)
    assert {(r[3], r[4], r[6]) for r in new} == {(None, "synthetic", "needs_review")}
    # Brute force: no added row is within 0.9 of any test row (or an exact copy)
    for r in new:
        for t in test_texts:
            assert Indel.normalized_similarity(normalize_text(r[1]), normalize_text(t)) < 0.9
    # Provenance: model, prompt, instruction, label, seed ids (train rows of that label)
    for r in new:
        prov = json.loads(r[5])
        assert prov["model"] == "loopback-small" and prov["temperature"] == 1.0
        assert prov["instruction"] in ("short", "long") and prov["label"] == r[2]
        assert prov["seed_example_ids"] and set(prov["seed_example_ids"]) <= set(built.train)
        assert all(built.train[i][1] == r[2] for i in prov["seed_example_ids"])
        assert prov["prompt"][-1]["content"].startswith("The dataset's labels")
    # No test text ever reached a prompt
    sent = json.dumps(bodies).lower()
    assert not any(t.lower() in sent for t in test_texts)
    assert all(b["response_format"] == {"type": "json_object"} for b in bodies)

    # Undo removes them; redo brings them back with their provenance
    project = open_project(built.path)
    try:
        undo_operation(project, built.dataset_id, out.op_id)
        assert _rows(built.path) == before
        redo_operation(project, built.dataset_id, out.op_id)
    finally:
        project.close()
    assert _rows(built.path) == after


def test_failed_calls_are_counted_and_cancel_adds_nothing(built: InputsProject) -> None:
    model = CopyingModel([t for t, _ in built.test.values()])
    plan = GenerationPlan(
        "bank",
        "loopback-small",
        [PlanCell("exchange_rate", "short", 1), PlanCell("exchange_rate", "broken", 7)],
        examples_per_call=2,
    )
    project = open_project(built.path)
    try:
        with loopback(responder=model) as server:
            out = run_plan(project, plan, provider=provider_for(server), key=None)
            # "broken" asks 5 + 2 in two calls, both answered with prose: 7 failed
            assert (out.requested, out.generated, out.added, out.failed) == (8, 1, 1, 7)
            assert out.failed_calls == 2 and out.calls == 3
            token = CancelToken()
            token.cancel()
            plan.seed = 9  # new seed rows: new requests, not cache hits
            stopped = run_plan(project, plan, provider=provider_for(server), key=None, cancel=token)
            assert stopped.cancelled and stopped.added == 0 and stopped.op_id is None
    finally:
        project.close()


def test_plan_labels_must_belong_to_the_dataset(built: InputsProject) -> None:
    plan = GenerationPlan("bank", "m", [PlanCell("no_such_label", "short", 2)])
    project = open_project(built.path)
    try:
        with pytest.raises(ValidationError) as exc:
            estimate_plan(project, plan, provider_for("http://127.0.0.1:9/v1"))
        assert exc.value.where == "cells[0].label"
    finally:
        project.close()


def test_a_split_never_puts_synthetic_rows_in_test(built: InputsProject) -> None:
    from studio.core.datasets.splits import split_dataset

    model = CopyingModel([t for t, _ in built.test.values()])
    plan = GenerationPlan("bank", "loopback-small", [PlanCell("card_arrival", "short", 5)])
    project = open_project(built.path)
    try:
        with loopback(responder=model) as server:
            out = run_plan(project, plan, provider=provider_for(server), key=None)
        assert out.added == 1  # one call of 5: the pattern adds its first item only
        # Everything to test: the 23 real rows go, the synthetic one stays in train
        result = split_dataset(project, built.dataset_id, test=1.0)
        assert (result.test, result.train, result.validation) == (23, 1, 0)
        # With validation too, a synthetic row lands in train or validation, never test
        split_dataset(project, built.dataset_id, test=0.5, validation=0.2, seed=3)
    finally:
        project.close()
    rows = _rows(built.path)
    assert [r[3] for r in rows if r[4] == "synthetic"] in (["train"], ["validation"])


def test_inputs_with_two_variables(project: Project) -> None:
    from studio.core.datasets.catalog import create_dataset
    from studio.core.datasets.curation import add_example

    info = create_dataset(
        project, "qa", task_type="generation", input_fields=("question", "context")
    )
    for q, c in [
        ("Who wrote it?", "A book by Ann."),
        ("When was it built?", "The 1901 bridge."),
    ]:
        add_example(project, info.id, {"question": q, "context": c}, split="train")
    add_example(project, info.id, {"question": "Where is it?", "context": "Paris."}, split="test")
    with pytest.raises(ValidationError) as exc:
        make_plan(project, "qa", model="m", count=2, per_label=True)
    assert exc.value.where == "per_label"
    plan = GenerationPlan("qa", "loopback-small", [PlanCell(None, "short", 3)])

    def answer(body: dict[str, object]) -> str:
        return json.dumps(
            {
                "inputs": [
                    {"question": "How tall is the tower?", "context": "It is 300 m."},
                    {"question": "Where is it?", "context": "Paris."},  # a test row
                    {"question": "no context"},  # unusable: a variable is missing
                ]
            }
        )

    with loopback(responder=answer) as server:
        out = run_plan(project, plan, provider=provider_for(server), key=None)
    assert (out.added, out.test_leaks, out.failed, out.near_duplicates) == (1, 1, 1, 0)
    with other_connection(project.location) as conn:
        row = conn.execute(
            "SELECT input_json, search_text FROM example WHERE source = 'synthetic'"
        ).fetchone()
    assert json.loads(row[0]) == {"question": "How tall is the tower?", "context": "It is 300 m."}
    assert row[1] == "How tall is the tower?\nIt is 300 m."
