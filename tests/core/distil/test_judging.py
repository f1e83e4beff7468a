"""A judge's score for teacher candidates, on a real loopback server, real SQLite and the
openai SDK. Expected scores come from the hand table in :mod:`helpers.distil_judge`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import loopback, provider_for
from helpers.distil_judge import (
    JUDGE_TABLE,
    TeacherAndJudge,
    add_judge_prompts,
    expected_score,
)
from helpers.distil_project import DistilProject, build_distil_project
from sqlalchemy import text

from studio.core.db.project import open_project
from studio.core.db.transactions import read_conn, write_tx
from studio.core.distil.judge_scores import read_judge_score
from studio.core.distil.judging import judge_candidates, plan_judging
from studio.core.distil.outputs import OutputsSpec, create_outputs_run, execute_outputs_run
from studio.core.distil.review import accept
from studio.core.errors import NotFoundError, ValidationError
from studio.core.evals.calls import RunProgress
from studio.core.progress import CancelToken

N = 30  # rows to distil: every answer of the 12-row table at least twice


@pytest.mark.parametrize(("answer", "score"), JUDGE_TABLE)
def test_table_of_answers(answer: str, score: float | None) -> None:
    got = read_judge_score(answer)
    assert got.score == pytest.approx(score) if score is not None else got.score is None
    assert (got.reason == "") == (score is not None)


def test_more_forms() -> None:
    # hand-read: whole numbers are on the ten-point scale, decimals 0-1 are shares
    cases = {
        "10": 1.0,
        "1": 0.1,
        "0": 0.0,
        "7.5": 0.75,
        "Verdict: **pass**": 1.0,
        "[[fail]]": 0.0,
        "Score = 4/5.": 0.8,
        "**0.25**": 0.25,
    }
    for answer, score in cases.items():
        assert read_judge_score(answer).score == pytest.approx(score), answer
    for unreadable in ("", None, "11", "Score: -1", "150%", "Score: 3/0", "maybe"):
        got = read_judge_score(unreadable)
        assert got.score is None and got.reason, unreadable


@pytest.fixture
def dp(tmp_path: Path, place: Callable[[Path], Path | str]) -> DistilProject:
    dp = build_distil_project(tmp_path / "d.studio", n_rows=N, n_human=2, n_test=2)
    add_judge_prompts(dp.path)
    dp.path = place(dp.path)  # type: ignore[assignment]  # a file or its server copy
    return dp


def _scores(dp: DistilProject) -> dict[int, float | None]:
    """Query i -> its candidate's judge score."""
    project = open_project(dp.path)
    try:
        with read_conn(project) as conn:
            rows = conn.execute(text("SELECT example_id, judge_score FROM candidate")).all()
    finally:
        project.close()
    index = {eid: i for i, eid in enumerate(dp.row_ids)}
    return {index[int(r[0])]: r[1] for r in rows}


def test_scores_stored_cached_and_used_by_accept(dp: DistilProject) -> None:
    responder = TeacherAndJudge(dp.labels)
    project = open_project(dp.path)
    try:
        # rows 0-3 carry a human label (still draft): the judge is shown it as {{ideal}}
        with write_tx(project) as conn:
            for i in range(4):
                conn.execute(
                    text("UPDATE example SET label = :l, ideal_source = 'human' WHERE id = :e"),
                    {"l": dp.labels[i], "e": dp.row_ids[i]},
                )
        with loopback(responder=responder) as server:
            provider = provider_for(server)
            spec = OutputsSpec(dataset="intents", prompt_ref="teacher@1", provider=provider)
            run_id = create_outputs_run(project, spec)
            execute_outputs_run(project, run_id, key=None)
            teacher_calls = server.chat_requests
            assert teacher_calls == N

            plan = plan_judging(project, "intents", "grader@1", provider=provider)
            assert (plan.candidates, plan.n_calls, plan.n_cached) == (N, N, 0)
            assert plan.skipped == {}

            out = judge_candidates(project, "intents", "grader@1", provider=provider, key=None)
            unreadable = sum(1 for i in range(N) if expected_score(i) is None)
            assert unreadable == 4  # table rows 8 and 9: i = 8, 9, 20, 21 (by hand)
            assert (out.scored, out.unreadable, out.failed, out.calls) == (N - 4, 4, 0, N)
            assert server.chat_requests == teacher_calls + N
            scores = _scores(dp)
            for i in range(N):
                want = expected_score(i)
                if want is None:
                    assert scores[i] is None
                    assert out.reasons[project_cid(project, dp, i)]
                else:
                    assert scores[i] == pytest.approx(want), i
            assert {i: responder.ideals[i] for i in range(6)} == {
                0: dp.labels[0],
                1: dp.labels[1],
                2: dp.labels[2],
                3: dp.labels[3],
                4: "",
                5: "",
            }

            # the same answers again: every call from the cache
            again_plan = plan_judging(project, "intents", "grader@1", provider=provider)
            assert (again_plan.n_calls, again_plan.n_cached, again_plan.cost_usd) == (N, N, 0.0)
            again = judge_candidates(project, "intents", "grader@1", provider=provider, key=None)
            assert (again.calls, again.scored, again.unreadable) == (0, N - 4, 4)
            assert server.chat_requests == teacher_calls + N

        # accept only judge >= 0.8: by hand, scores 0.8, 0.8, 1.0, 0.9, 0.8, 0.85, 1.0 of
        # each 12 rows (table rows 1, 2, 3, 5, 6, 7, 10)
        keep = [i for i in range(N) if (expected_score(i) or -1) >= 0.8]
        assert len(keep) == 7 + 7 + 4  # i = 0..11, 12..23, then 24..29 (25, 26, 27, 29)
        result = accept(project, "intents", min_judge=0.8)
        assert result.changed == len(keep)
        assert result.skipped == {"below_judge": 8, "no_judge": 4}
        with read_conn(project) as conn:
            approved = {
                int(r[0])
                for r in conn.execute(
                    text("SELECT example_id FROM candidate WHERE status = 'accepted'")
                ).all()
            }
        assert approved == {dp.row_ids[i] for i in keep}
    finally:
        project.close()


def project_cid(project: object, dp: DistilProject, i: int) -> int:
    """The candidate id of query i."""
    with read_conn(project) as conn:  # type: ignore[arg-type]
        return int(
            conn.execute(
                text("SELECT id FROM candidate WHERE example_id = :e"), {"e": dp.row_ids[i]}
            ).scalar_one()
        )


def test_bad_judge_prompts_refused_before_any_call(dp: DistilProject) -> None:
    project = open_project(dp.path)
    try:
        provider = provider_for("http://127.0.0.1:9/v1")
        with pytest.raises(ValidationError, match=r"\{\{output\}\}"):
            plan_judging(project, "intents", "grader@2", provider=provider)
        with pytest.raises(NotFoundError):
            judge_candidates(project, "intents", "nope@1", provider=provider, key=None)
        # no candidates yet: nothing to judge, nothing called
        out = judge_candidates(project, "intents", "grader@1", provider=provider, key=None)
        assert (out.scored, out.calls) == (0, 0)
    finally:
        project.close()


def test_cancel_before_start_stores_nothing(dp: DistilProject) -> None:
    responder = TeacherAndJudge(dp.labels)
    project = open_project(dp.path)
    try:
        with loopback(responder=responder) as server:
            provider = provider_for(server)
            spec = OutputsSpec(dataset="intents", prompt_ref="teacher@1", provider=provider)
            execute_outputs_run(project, create_outputs_run(project, spec), key=None)
            token = CancelToken()
            token.cancel()
            out = judge_candidates(
                project, "intents", "grader@1", provider=provider, key=None, cancel=token
            )
            assert out.cancelled and out.scored == 0
            assert sum(responder.judge_calls.values()) == 0
    finally:
        project.close()
    assert all(s is None for s in _scores(dp).values())


def test_cancel_midway_keeps_answered_scores_and_a_rerun_sends_only_the_rest(
    dp: DistilProject,
) -> None:
    responder = TeacherAndJudge(dp.labels)
    project = open_project(dp.path)
    try:
        with loopback(responder=responder, latency=0.02) as server:
            provider = provider_for(server)
            spec = OutputsSpec(dataset="intents", prompt_ref="teacher@1", provider=provider)
            execute_outputs_run(project, create_outputs_run(project, spec), key=None)
            token = CancelToken()

            def progress(p: RunProgress) -> None:
                if p.done >= 5:
                    token.cancel()

            first = judge_candidates(
                project,
                "intents",
                "grader@1",
                provider=provider,
                key=None,
                progress=progress,
                cancel=token,
                concurrency=1,
            )
            answered = sum(responder.judge_calls.values())
            assert first.cancelled and 5 <= answered < N
            kept = [s for s in _scores(dp).values() if s is not None]
            assert first.scored + first.unreadable == first.calls <= answered
            assert len(kept) == first.scored
            second = judge_candidates(project, "intents", "grader@1", provider=provider, key=None)
            assert not second.cancelled
            assert second.calls == N - first.calls  # the answered ones came from the cache
            assert (second.scored, second.unreadable) == (N - 4, 4)
    finally:
        project.close()
