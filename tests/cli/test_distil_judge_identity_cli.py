"""Who judged, on the command line: ``studio runs resume`` of a distil run started with a
judge judges what the resume produced (with the run's judge, cached re-judging = 0
calls), ``distil list`` shows the judge, and ``accept --min-judge`` over two judges warns.

Fresh ``python -m studio`` processes against a real loopback server through the openai
SDK; scores from the hand table of :mod:`helpers.distil_judge` and ``grader@3``'s "[[6]]".
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from helpers import loopback, provider_for
from helpers.distil_judge import JUDGE_MODEL, add_judge_prompts
from helpers.distil_judges import SECOND_MODEL, TwoJudges, add_second_judge
from helpers.distil_project import DistilProject, build_distil_project
from sqlalchemy import text
from test_distil_outputs import studio

from studio.core.db.project import open_project
from studio.core.db.transactions import write_tx
from studio.core.distil.outputs import OutputsSpec, create_outputs_run, execute_outputs_run
from studio.core.evals.calls import RunProgress
from studio.core.progress import CancelToken
from studio.core.prompts import service as prompts

N = 24  # two rounds of the 12-answer table


@pytest.fixture
def dp(tmp_path: Path) -> DistilProject:
    dp = build_distil_project(tmp_path / "d.studio", n_rows=N, n_human=2, n_test=2)
    add_judge_prompts(dp.path)
    add_second_judge(dp.path)
    return dp


def test_resume_judges_with_the_runs_judge_then_list_and_mixed_judges(dp: DistilProject) -> None:
    p = ["--project", str(dp.path)]
    responder = TwoJudges(dp.labels)
    with loopback(responder=responder, latency=0.01) as server:
        url = server.base_url
        project = open_project(dp.path)
        try:
            spec = OutputsSpec(
                dataset="intents",
                prompt_ref="teacher@1",
                provider=provider_for(server),
                concurrency=1,
                judge="grader@prod",  # as `distil outputs --judge grader@prod`
            )
            run_id = create_outputs_run(project, spec)
            cancel = CancelToken()

            def progress(pr: RunProgress) -> None:
                if pr.done >= 8:
                    cancel.cancel()

            first = execute_outputs_run(project, run_id, key=None, progress=progress, cancel=cancel)
            # the label moves after the run started: the run keeps grader@1
            prompts.set_label(project, "grader", "prod", 3, actor="alice")
        finally:
            project.close()
        k = first.stored
        assert first.cancelled and 8 <= k < N

        early = studio("distil", "judge", "intents", *p, "--judge", "grader@1",
                       "--base-url", url, "--yes", "--json")  # fmt: skip
        assert early.returncode == 0, early.stderr
        assert json.loads(early.stdout)["calls"] == k

        server.settle()  # what the cancel left in flight is counted before
        before = server.chat_requests
        done = studio("runs", "resume", str(run_id), *p, "--json")
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["stored"] == N
        judge = out["judge"]
        assert (judge["judge_ref"], judge["judge_model"]) == ("grader@1", JUDGE_MODEL)
        # the k judged before the resume come from the cache: 0 calls for them
        assert judge["calls"] == N - k
        assert (judge["scored"], judge["unreadable"]) == (N - 4, 4)  # i = 8, 9, 20, 21
        assert server.chat_requests - before == out["calls"] + N - k
        assert set(responder.judge_calls.values()) == {1} and len(responder.judge_calls) == N
        assert sum(responder.second_calls.values()) == 0

        listed = json.loads(studio("distil", "list", "intents", *p, "--json").stdout)
        assert len(listed) == N
        for r in listed:
            assert (r["judge_ref"], r["judge_model"]) == ("grader@1", JUDGE_MODEL)
            # UTC text as the schema's other timestamps ("2026-12-07 15:31:40.885313")
            datetime.strptime(r["judged_at"], "%Y-%m-%d %H:%M:%S.%f")
        rows = json.loads(studio("dataset", "rows", "intents", *p, "--json").stdout)
        shown = [r["candidate"] for r in rows if r["candidate"] is not None]
        assert len(shown) == N
        assert {(c["judge_ref"], c["judge_model"]) for c in shown} == {("grader@1", JUDGE_MODEL)}
        table = studio("distil", "list", "intents", *p).stdout.splitlines()
        assert table[0].split("\t")[4:6] == ["judge", "judged by"]
        assert {line.split("\t")[5] for line in table[1:]} == {f"grader@1 ({JUDGE_MODEL})"}

        ids = f"{dp.row_ids[0]}-{dp.row_ids[2]}"
        second = studio("distil", "judge", "intents", *p, "--judge", "grader@3", "--ids", ids,
                        "--base-url", url, "--yes", "--json")  # fmt: skip
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout)["calls"] == 3 == sum(responder.second_calls.values())

    # accept --min-judge 0.6: by hand, grader@3 gave 0.6 to i = 0..2; grader@1's scores
    # >= 0.6 at i = 3..11: 3, 5, 6, 7, 10 (5), at 12..23: 8 of 12 -> 13
    accepted = studio("distil", "accept", "intents", *p, "--min-judge", "0.6", "--json")
    assert accepted.returncode == 0, accepted.stderr
    result = json.loads(accepted.stdout)
    assert result["changed"] == 16
    assert result["judges"] == {f"grader@1 ({JUDGE_MODEL})": 13, f"grader@3 ({SECOND_MODEL})": 3}
    assert "warning:" in accepted.stderr and "2 different judges" in accepted.stderr
    assert f"13 by grader@1 ({JUDGE_MODEL}), 3 by grader@3 ({SECOND_MODEL})" in accepted.stderr

    # stats: grader@1 scored N - 4 readable answers, then grader@3 took over i = 0..2
    stats = studio("distil", "stats", "intents", *p)
    assert stats.returncode == 0, stats.stderr
    assert (
        f"Judge scores: 17 by grader@1 ({JUDGE_MODEL}), 3 by grader@3 ({SECOND_MODEL})."
        in stats.stdout
    )
    assert "Warning: The accepted candidates' judge scores come from 2 different judges" in (
        stats.stdout
    )
    doc = json.loads(studio("distil", "stats", "intents", *p, "--json").stdout)
    assert doc["judges"]["accepted"] == result["judges"]


def test_a_score_from_before_judges_were_recorded_lists_as_not_recorded(
    dp: DistilProject,
) -> None:
    with loopback(responder=TwoJudges(dp.labels)) as server:
        done = studio(
            "distil", "outputs", "--project", str(dp.path), "--dataset", "intents",
            "--prompt", "teacher@1", "--base-url", server.base_url,
            "--ids", f"{dp.row_ids[0]}-{dp.row_ids[2]}", "--yes", "--json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    project = open_project(dp.path)
    try:
        with write_tx(project) as conn:  # as migration 0008 leaves an older score
            conn.execute(
                text("UPDATE candidate SET judge_score = 0.5 WHERE example_id = :e"),
                {"e": dp.row_ids[1]},
            )
    finally:
        project.close()
    table = studio("distil", "list", "intents", "--project", str(dp.path)).stdout.splitlines()
    by_row = {int(line.split("\t")[1]): line.split("\t") for line in table[1:]}
    assert by_row[dp.row_ids[1]][4:6] == ["0.50", "judge not recorded"]
    assert by_row[dp.row_ids[0]][4:6] == ["-", "-"]
