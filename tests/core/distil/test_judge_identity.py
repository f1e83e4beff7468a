"""Which judge gave a score (migration 0008) and a distil run's judge on resume.

Real loopback server through the openai SDK, real projects on both backends. Expected
scores come from the hand table of :mod:`helpers.distil_judge` (``grader@1``) and the
constant answer of :mod:`helpers.distil_judges` (``grader@3``: "[[6]]" = 0.6).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import loopback, provider_for
from helpers.distil_judge import JUDGE_MODEL, add_judge_prompts, expected_score
from helpers.distil_judges import SECOND_MODEL, SECOND_SCORE, TwoJudges, add_second_judge
from helpers.distil_project import DistilProject, build_distil_project
from sqlalchemy import text

from studio.core.db.engine import db_time
from studio.core.db.project import Project, open_project
from studio.core.db.transactions import read_conn
from studio.core.distil.candidates import list_candidates
from studio.core.distil.evidence import distil_evidence
from studio.core.distil.judging import judge_candidates
from studio.core.distil.outputs import OutputsSpec, create_outputs_run, execute_outputs_run
from studio.core.distil.review import accept
from studio.core.distil.run_judge import judge_run, run_judge_ref
from studio.core.evals.calls import RunProgress
from studio.core.progress import CancelToken
from studio.core.prompts import service as prompts

N = 30
UNREADABLE = {8, 9, 20, 21}  # by hand: table rows 8 and 9 ("Score: 12/10", "looks fine")


@pytest.fixture
def dp(tmp_path: Path, place: Callable[[Path], Path | str]) -> DistilProject:
    dp = build_distil_project(tmp_path / "d.studio", n_rows=N, n_human=2, n_test=2)
    add_judge_prompts(dp.path)
    add_second_judge(dp.path)
    dp.path = place(dp.path)  # type: ignore[assignment]  # a file or its server copy
    return dp


def _identity(project: Project, dp: DistilProject) -> dict[int, tuple[Any, ...]]:
    """Query i -> (score, judge_ref, judge_model, judged_at as text)."""
    index = {eid: i for i, eid in enumerate(dp.row_ids)}
    rows = list_candidates(project, "intents")
    return {
        index[r.example_id]: (r.judge_score, r.judge_ref, r.judge_model, r.judged_at) for r in rows
    }


def test_every_score_names_its_judge_resolved_from_a_label(dp: DistilProject) -> None:
    responder = TwoJudges(dp.labels)
    project = open_project(dp.path)
    try:
        with loopback(responder=responder) as server:
            provider = provider_for(server)
            spec = OutputsSpec(dataset="intents", prompt_ref="teacher@1", provider=provider)
            execute_outputs_run(project, create_outputs_run(project, spec), key=None)
            # never judged: no score and no judge
            assert all(v == (None, None, None, None) for v in _identity(project, dp).values())

            before = db_time()
            out = judge_candidates(project, "intents", "grader@prod", provider=provider, key=None)
            after = db_time()
            assert (out.judge_ref, out.judge_model) == ("grader@1", JUDGE_MODEL)
            assert (out.scored, out.unreadable) == (N - 4, 4)
            got = _identity(project, dp)
            for i in range(N):
                score, ref, model, at = got[i]
                # the label "prod" is stored as the number it named when judging
                assert (ref, model) == ("grader@1", JUDGE_MODEL), i
                assert before <= at <= after, (i, at)
                if i in UNREADABLE:
                    assert score is None  # unreadable: no score, the judge still named
                else:
                    assert score == pytest.approx(expected_score(i)), i
            first_at = got[0][3]
            row0 = next(r for r in list_candidates(project, "intents") if r.id == _cid(dp, 0))
            assert row0.judged_by() == f"judged by grader@1 ({JUDGE_MODEL}) at {first_at[:16]} UTC"

            # the label moves on: the stored judge stays the version that scored
            prompts.set_label(project, "grader", "prod", 3, actor="alice")
            # grader@3 re-judges queries 0-4 only: they get 0.6 and the new judge
            ids = [_cid(dp, i) for i in range(5)]
            second = judge_candidates(
                project, "intents", "grader@prod", provider=provider, key=None, candidate_ids=ids
            )
            assert (second.judge_ref, second.scored, second.calls) == ("grader@3", 5, 5)
            assert sum(responder.second_calls.values()) == 5
            got = _identity(project, dp)
            for i in range(5):
                assert got[i][:3] == (pytest.approx(SECOND_SCORE), "grader@3", SECOND_MODEL)
            for i in range(5, N):
                assert got[i][1:3] == ("grader@1", JUDGE_MODEL)
            kept = dict(got)

        # a judge whose calls fail leaves score and judge as they were (both columns)
        def faults(_index: int, body: dict[str, object]) -> str | None:
            return "500" if body.get("model") == JUDGE_MODEL else None

        with loopback(responder=responder, faults=faults) as broken:
            failed = judge_candidates(
                project,
                "intents",
                "grader@1",
                provider=provider_for(broken),
                key=None,
                candidate_ids=[_cid(dp, 0), _cid(dp, 8)],
            )
            assert (failed.failed, failed.scored, failed.unreadable) == (2, 0, 0)
        assert _identity(project, dp) == kept

        # accept --min-judge 0.6 over the two judges: the mix is counted. By hand, scores
        # >= 0.6 from grader@1 at i = 5..29: 4 of 5..11 (0.9, 0.8, 0.85, 1.0), 8 of
        # 12..23, 5 of 24..29 (0.7, 0.8, 0.8, 1.0, 0.9) = 17; grader@3: i = 0..4 = 5
        result = accept(project, "intents", min_judge=0.6)
        assert result.changed == 22
        assert result.judges == {
            f"grader@1 ({JUDGE_MODEL})": 17,
            f"grader@3 ({SECOND_MODEL})": 5,
        }
        assert result.to_json()["judges"] == result.judges
        assert "2 different judges" in result.mixed_judges
        assert f"17 by grader@1 ({JUDGE_MODEL}), 5 by grader@3 ({SECOND_MODEL})" in (
            result.mixed_judges
        )
        # the evidence says who gave the scores: grader@1 scored N - 4 readable answers,
        # then grader@3 took over i = 0..4 -> 21 and 5; the accepted ones as above
        ev = distil_evidence(project, "intents")
        assert ev.judges == {f"grader@1 ({JUDGE_MODEL})": 21, f"grader@3 ({SECOND_MODEL})": 5}
        assert ev.accepted_judges == result.judges
        assert ev.to_json()["judges"]["accepted"] == result.judges
        assert "2 different judges" in ev.mixed_judges
    finally:
        project.close()


def test_one_judge_is_no_warning(dp: DistilProject) -> None:
    responder = TwoJudges(dp.labels)
    project = open_project(dp.path)
    try:
        with loopback(responder=responder) as server:
            provider = provider_for(server)
            spec = OutputsSpec(dataset="intents", prompt_ref="teacher@1", provider=provider)
            execute_outputs_run(project, create_outputs_run(project, spec), key=None)
            judge_candidates(project, "intents", "grader@3", provider=provider, key=None)
        result = accept(project, "intents", min_judge=0.5)
        assert result.changed == N  # every answer 0.6 by grader@3
        assert result.judges == {f"grader@3 ({SECOND_MODEL})": N}
        assert result.mixed_judges == ""
        assert "judges" not in accept(project, "intents").to_json()  # no --min-judge
        ev = distil_evidence(project, "intents")
        assert ev.judges == ev.accepted_judges == {f"grader@3 ({SECOND_MODEL})": N}
        assert ev.mixed_judges == ""
    finally:
        project.close()


def test_resume_judges_what_the_resumed_run_produced_with_the_runs_judge(
    dp: DistilProject,
) -> None:
    responder = TwoJudges(dp.labels)
    project = open_project(dp.path)
    try:
        with loopback(responder=responder, latency=0.01) as server:
            provider = provider_for(server)
            spec = OutputsSpec(
                dataset="intents",
                prompt_ref="teacher@1",
                provider=provider,
                concurrency=1,
                judge="grader@prod",
            )
            run_id = create_outputs_run(project, spec)
            assert run_judge_ref(project, run_id) == "grader@1"  # resolved when created
            prompts.set_label(project, "grader", "prod", 3, actor="alice")
            assert run_judge_ref(project, run_id) == "grader@1"  # the label moving: no change
            cancel = CancelToken()

            def progress(p: RunProgress) -> None:
                if p.done >= 10:
                    cancel.cancel()

            first = execute_outputs_run(project, run_id, key=None, progress=progress, cancel=cancel)
            assert first.cancelled and 10 <= first.stored < N
            k = first.stored
            # the candidates written before the interruption get judged (as a person would
            # with `distil judge`): k calls
            early = judge_run(project, run_id, provider=provider, key=None)
            assert early is not None and early.calls == k and early.judge_ref == "grader@1"

            resumed = execute_outputs_run(project, run_id, key=None)
            assert resumed.stored == N and not resumed.cancelled
            server.settle()  # what the cancel left in flight is counted before
            before = server.chat_requests
            judged = judge_run(project, run_id, provider=provider, key=None)
            assert judged is not None
            # the k judged before come from the cache: only the N - k new ones are sent
            assert judged.calls == N - k == server.chat_requests - before
            assert (judged.scored, judged.unreadable) == (N - 4, 4)
            assert judged.judge_ref == "grader@1"
            assert sum(responder.second_calls.values()) == 0  # never the label's new target
            assert set(responder.judge_calls.values()) == {1}  # each query judged once
            assert len(responder.judge_calls) == N
        got = _identity(project, dp)
        assert {v[1:3] for v in got.values()} == {("grader@1", JUDGE_MODEL)}

        # a run started without a judge: nothing to judge on resume
        plain = OutputsSpec(dataset="intents", prompt_ref="teacher@2", provider=provider)
        plain_id = create_outputs_run(project, plain)
        assert run_judge_ref(project, plain_id) is None
        assert judge_run(project, plain_id, provider=provider, key=None) is None
    finally:
        project.close()


def _cid(dp: DistilProject, i: int) -> int:
    project = open_project(dp.path)
    try:
        with read_conn(project) as conn:
            return int(
                conn.execute(
                    text("SELECT max(id) FROM candidate WHERE example_id = :e"),
                    {"e": dp.row_ids[i]},
                ).scalar_one()
            )
    finally:
        project.close()
