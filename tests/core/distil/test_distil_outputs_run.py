"""Teacher outputs (issue 13 §1) on a real loopback server, the openai SDK, and a real
project on each backend (an SQLite file, the same project copied to PostgreSQL).

Every expected figure is a hand count from the project's construction
(:mod:`helpers.distil_project`) and the responder's rules, never the code's own output.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from helpers import loopback, provider_for
from helpers.ab_project import LABELS, wrong_label
from helpers.distil_project import DistilProject, TeacherResponder, build_distil_project
from sqlalchemy import text

from studio.core.db.project import Project, open_project
from studio.core.db.transactions import read_conn, write_tx
from studio.core.distil.outputs import (
    OutputsSpec,
    create_outputs_run,
    execute_outputs_run,
    plan_outputs,
)
from studio.core.errors import UserError, ValidationError
from studio.core.evals.calls import RunProgress
from studio.core.evals.run_state import run_states
from studio.core.evals.run_store import list_runs
from studio.core.progress import CancelToken

N = 150


Place = Callable[[Path], Path | str]


@pytest.fixture
def dp(tmp_path: Path, place: Place) -> DistilProject:
    built = build_distil_project(tmp_path / "d.studio", n_rows=N)
    built.path = place(built.path)  # type: ignore[assignment]
    return built


def _candidates(project: Project, run_id: int | None = None) -> list[Any]:
    sql = (
        "SELECT id, example_id, run_id, prompt_version_id, prompt_ref, model, params_json, "
        "output_kind, output, label, samples, agreement, valid, reason, status, tokens_in, "
        "tokens_out, cost_usd, response_id, created_at FROM candidate"
    )
    params: dict[str, Any] = {}
    if run_id is not None:
        sql += " WHERE run_id = :r"
        params["r"] = run_id
    with read_conn(project) as conn:
        return list(conn.execute(text(sql + " ORDER BY example_id"), params).all())


def _spec(server: Any, **kw: Any) -> OutputsSpec:
    return OutputsSpec(
        dataset="intents",
        prompt_ref=kw.pop("prompt_ref", "teacher@1"),
        provider=provider_for(server),
        **kw,
    )


def test_150_rows_provenance_human_ideals_test_split_and_rerun_zero_calls(
    dp: DistilProject,
) -> None:
    project = open_project(dp.path)
    try:
        with read_conn(project) as conn:
            humans_before = conn.execute(
                text(
                    "SELECT id, ideal_output, label, status, ideal_source FROM example "
                    f"WHERE id IN ({','.join(map(str, dp.human_ids))}) ORDER BY id"
                )
            ).all()
            version_id = conn.execute(
                text(
                    "SELECT pv.id FROM prompt_version pv JOIN prompt p ON p.id = pv.prompt_id "
                    "WHERE p.name = 'teacher' AND pv.version = 1"
                )
            ).scalar_one()
        wrong = {i for i in range(N) if i % 10 == 7}  # the teacher is wrong on 15 rows
        responder = TeacherResponder(dp.labels, wrong=wrong)
        with loopback(responder=responder) as server:
            spec = _spec(server)
            plan = plan_outputs(project, spec)
            assert plan.rows == N and plan.n_calls == N and plan.n_cached == 0
            assert plan.skipped == {"approved_human": 10, "test_split": 12}
            run_id = create_outputs_run(project, spec)
            outcome = execute_outputs_run(project, run_id, key=None)
            assert server.chat_requests == N
            assert outcome.to_json() == {
                "run": run_id,
                "rows": N,
                "stored": N,
                "failed": 0,
                "skipped": 22,
                "calls": N,
                "cost": None,  # the loopback model has no price
                "audit": 0,
            }
            cands = _candidates(project, run_id)
            assert [c.example_id for c in cands] == dp.row_ids
            by_example = {eid: i for i, eid in enumerate(dp.row_ids)}
            for c in cands:
                i = by_example[c.example_id]
                expected = wrong_label(dp.labels[i]) if i in wrong else dp.labels[i]
                assert c.label == expected and c.output == expected
                assert c.prompt_ref == "teacher@1" and c.prompt_version_id == version_id
                assert c.model == "loopback-large"
                assert orjson.loads(c.params_json) == {"temperature": 0.0}
                assert c.status == "pending" and c.valid == 1 and c.reason == ""
                assert c.samples == 1 and c.agreement is None
                assert c.tokens_in and c.tokens_in > 0 and c.tokens_out == 1
                assert c.response_id.startswith("chatcmpl-loopback-") and c.created_at
                assert c.run_id == run_id
            with read_conn(project) as conn:
                ids = conn.execute(
                    text(
                        "SELECT count(DISTINCT response_id) FROM eval_result WHERE run_id = :r "
                        "AND response_id LIKE 'chatcmpl-loopback-%'"
                    ),
                    {"r": run_id},
                ).scalar_one()
                humans_after = conn.execute(
                    text(
                        "SELECT id, ideal_output, label, status, ideal_source FROM example "
                        f"WHERE id IN ({','.join(map(str, dp.human_ids))}) ORDER BY id"
                    )
                ).all()
                others = conn.execute(
                    text(
                        "SELECT count(*) FROM candidate WHERE example_id IN "
                        f"({','.join(map(str, dp.human_ids + dp.test_ids))})"
                    )
                ).scalar_one()
            assert ids == N
            assert humans_after == humans_before and others == 0
            assert all(h.ideal_source == "human" for h in humans_after)

            # Re-run: every row has a pending candidate of this version and model
            again = plan_outputs(project, spec)
            assert again.rows == 0 and again.skipped["has_pending_candidate"] == N
            with pytest.raises(UserError, match="No selected row"):
                create_outputs_run(project, spec)
            # With the candidates gone, a new run is served by the cache: 0 calls
            with write_tx(project) as conn:
                conn.execute(text("DELETE FROM candidate"))
            cached_plan = plan_outputs(project, spec)
            assert cached_plan.n_cached == N
            rerun = execute_outputs_run(project, create_outputs_run(project, spec), key=None)
            assert server.chat_requests == N  # still: not one more request
            assert rerun.calls == 0 and rerun.stored == N
            # the answers (and response ids) are those of the first run
            assert {c.response_id for c in _candidates(project, rerun.run_id)} == {
                c.response_id for c in cands
            }
        # A/B listings know it is a distil run
        assert {r.kind for r in list_runs(project)} == {"distil"}
        assert {s.kind for s in run_states(project)} == {"distil"}
    finally:
        project.close()


def test_include_test_asks_test_rows_and_where_selection(dp: DistilProject) -> None:
    project = open_project(dp.path)
    try:
        with loopback(responder=TeacherResponder(dp.labels)) as server:
            chosen = dp.row_ids[:5] + dp.test_ids[:3] + dp.human_ids[:2]
            spec = _spec(server, example_ids=chosen, include_test=True)
            plan = plan_outputs(project, spec)
            assert plan.rows == 8 and plan.skipped == {"approved_human": 2}
            outcome = execute_outputs_run(project, create_outputs_run(project, spec), key=None)
            assert server.chat_requests == 8 and outcome.stored == 8
            with read_conn(project) as conn:
                locked = conn.execute(
                    text(
                        "SELECT count(*) FROM example WHERE split = 'test' AND split_locked = TRUE"
                    )
                ).scalar_one()
            assert locked == len(dp.test_ids)  # asked test rows are used test rows
    finally:
        project.close()


def test_schema_failing_answers_are_failed_candidates_with_reason(dp: DistilProject) -> None:
    bad = {i for i in range(N) if i % 6 == 2}  # 25 rows answer {"intent": 42}
    project = open_project(dp.path)
    try:
        with loopback(responder=TeacherResponder(dp.labels, bad_json=bad, as_json=True)) as s:
            spec = _spec(s, prompt_ref="teacher@3")
            outcome = execute_outputs_run(project, create_outputs_run(project, spec), key=None)
        assert (outcome.stored, outcome.failed) == (N - len(bad), len(bad))
        by_example = {eid: i for i, eid in enumerate(dp.row_ids)}
        for c in _candidates(project):
            i = by_example[c.example_id]
            if i in bad:
                assert (c.status, c.valid) == ("failed", 0)
                assert "response_schema" in c.reason and c.label is None
                assert c.output == '{"intent": 42}'
            else:
                assert (c.status, c.valid, c.output_kind) == ("pending", 1, "json")
                assert c.label == dp.labels[i]  # read from the JSON's intent field
        # failed rows are not "pending": a new plan asks them again, the others skipped
        again = plan_outputs(project, spec)
        assert again.rows == len(bad) and again.skipped["has_pending_candidate"] == N - len(bad)
    finally:
        project.close()


def test_three_samples_majority_and_agreement_by_hand(tmp_path: Path, place: Place) -> None:
    n = 30
    dp = build_distil_project(tmp_path / "k.studio", n_rows=n)
    dp.path = place(dp.path)  # type: ignore[assignment]
    a, b, c, d = LABELS
    # query i's three answers (in call order): all same / two of three / all different
    plan_answers: dict[int, list[str]] = {}
    expected: dict[int, tuple[str | None, float]] = {}
    for i in range(n):
        right = dp.labels[i]
        other = wrong_label(right)
        third = wrong_label(other)
        if i % 3 == 0:
            plan_answers[i], expected[i] = [right, right, right], (right, 1.0)
        elif i % 3 == 1:
            plan_answers[i], expected[i] = [other, right, other], (other, 2 / 3)
        else:
            plan_answers[i], expected[i] = [right, other, third], (None, 1 / 3)
    assert {a, b, c, d} == set(LABELS)
    project = open_project(dp.path)
    try:
        responder = TeacherResponder(dp.labels, sample_plan=plan_answers)
        with loopback(responder=responder) as server:
            spec = _spec(server, prompt_ref="teacher@2", samples=3, concurrency=4)
            plan = plan_outputs(project, spec)
            assert plan.n_calls == 3 * n
            outcome = execute_outputs_run(project, create_outputs_run(project, spec), key=None)
            assert server.chat_requests == 3 * n  # 3 samples are 3 requests, not 1 cached
        assert Counter(responder.calls.values()) == {3: n}
        assert outcome.stored == n and outcome.calls == 3 * n
        by_example = {eid: i for i, eid in enumerate(dp.row_ids)}
        for cand in _candidates(project):
            i = by_example[cand.example_id]
            label, agreement = expected[i]
            assert cand.samples == 3 and cand.agreement == pytest.approx(agreement)
            if label is not None:  # a unique majority; a three-way tie has any of them
                assert cand.label == label
            else:
                assert cand.label in plan_answers[i]
            assert orjson.loads(cand.params_json) == {"temperature": 0.7}
    finally:
        project.close()


def test_samples_need_a_temperature_above_zero_and_fields_are_named(dp: DistilProject) -> None:
    project = open_project(dp.path)
    try:
        url = "http://127.0.0.1:9/v1"
        with pytest.raises(ValidationError) as exc:
            plan_outputs(project, _spec(url, samples=3))  # teacher@1 has temperature 0
        assert exc.value.where == "temperature"
        ok = plan_outputs(project, _spec(url, samples=3, temperature=0.5))
        assert ok.n_calls == 3 * N
        for kw, where in (
            ({"samples": 0}, "samples"),
            ({"temperature": 3.0}, "temperature"),
            ({"concurrency": 0}, "concurrency"),
        ):
            with pytest.raises(ValidationError) as exc:
                plan_outputs(project, _spec(url, **kw))
            assert exc.value.where == where
    finally:
        project.close()


def test_cancel_then_resume_makes_only_the_missing_calls(dp: DistilProject) -> None:
    project = open_project(dp.path)
    try:
        responder = TeacherResponder(dp.labels)
        with loopback(responder=responder, latency=0.01) as server:
            spec = _spec(server, concurrency=4)
            run_id = create_outputs_run(project, spec)
            cancel = CancelToken()

            def progress(p: RunProgress) -> None:
                if p.done >= 40:
                    cancel.cancel()

            first = execute_outputs_run(project, run_id, key=None, progress=progress, cancel=cancel)
            assert first.cancelled
            # a call the cancel abandoned after sending it may reach the server only now
            # (late on a busy machine): count it as the first execution's
            server.settle()
            sent = server.chat_requests
            with read_conn(project) as conn:
                answered = conn.execute(
                    text("SELECT count(*) FROM eval_result WHERE run_id = :r AND error IS NULL"),
                    {"r": run_id},
                ).scalar_one()
            assert 40 <= answered < N
            # rows answered so far already have their candidate
            assert first.stored == answered
            second = execute_outputs_run(project, run_id, key=None)
            assert second.calls == N - answered
            # every request beyond the first execution's was a missing row's
            assert server.chat_requests - sent == N - answered
            assert second.stored == N and not second.cancelled
            assert len(_candidates(project, run_id)) == N
            assert len({c.example_id for c in _candidates(project, run_id)}) == N
    finally:
        project.close()


def test_silent_server_stops_the_run_and_a_resume_finishes_it(tmp_path: Path, place: Place) -> None:
    from helpers.silent_server import SilentServer

    from studio.core.evals.limits import RunLimits

    n = 12
    dp = build_distil_project(tmp_path / "s.studio", n_rows=n, n_human=0, n_test=0)
    dp.path = place(dp.path)  # type: ignore[assignment]
    project = open_project(dp.path)
    silent = SilentServer()
    try:
        spec = _spec(silent.base_url, limits=RunLimits(request_timeout_s=0.5))
        run_id = create_outputs_run(project, spec)
        started = time.monotonic()
        stopped = execute_outputs_run(project, run_id, key=None)
        assert time.monotonic() - started < 10
        assert stopped.stop_kind == "stalled" and stopped.pending == n
        assert stopped.stored == 0 and stopped.failed == 0  # unanswered rows wait, not fail
        assert _candidates(project) == []
        # the same run, its provider pointed at a live server, finishes with n calls
        with loopback(responder=TeacherResponder(dp.labels)) as server:
            with write_tx(project) as conn:
                conn.execute(
                    text("UPDATE eval_run SET provider_json = :p WHERE id = :r"),
                    {"p": orjson.dumps(provider_for(server).to_dict()).decode(), "r": run_id},
                )
            done = execute_outputs_run(project, run_id, key=None)
            assert server.chat_requests == n and done.stored == n and done.calls == n
    finally:
        silent.close()
        project.close()


def test_ab_listings_do_not_treat_a_distil_run_as_a_comparison(dp: DistilProject) -> None:
    from studio.core.decide.run_evidence import load_runs
    from studio.core.evals.review import runs_with_verdicts

    project = open_project(dp.path)
    try:
        with loopback(responder=TeacherResponder(dp.labels)) as server:
            spec = _spec(server, example_ids=dp.row_ids[:4] + dp.test_ids[:2], include_test=True)
            run_id = create_outputs_run(project, spec)
            execute_outputs_run(project, run_id, key=None)
        (entry,) = runs_with_verdicts(project)
        assert entry.info.kind == "distil" and entry.verdict.startswith("Distil")
        assert entry.n is None  # no A/B sample size
        with write_tx(project) as conn:  # even stored as a test-split run, Decide skips it
            conn.execute(text("UPDATE eval_run SET split = 'test' WHERE id = :r"), {"r": run_id})
        assert load_runs(project, dp.dataset_id) == []
    finally:
        project.close()
