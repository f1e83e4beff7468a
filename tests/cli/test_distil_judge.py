"""``studio distil judge``, ``distil outputs --judge`` and ``distil accept --min-judge`` in
fresh processes against a real loopback server through the openai SDK. Expected scores:
the hand table of :mod:`helpers.distil_judge`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import loopback
from helpers.distil_judge import TeacherAndJudge, add_judge_prompts, expected_score
from helpers.distil_project import DistilProject, build_distil_project
from sqlalchemy import text
from test_distil_outputs import studio

from studio.core.db.project import open_project
from studio.core.db.transactions import read_conn

N = 24  # two rounds of the 12-answer table
KEYS = {"scored", "unreadable", "failed", "skipped", "calls", "cost", "cancelled", "reasons"}
KEYS |= {"judge_ref", "judge_model"}  # who scored (migration 0008)


@pytest.fixture
def dp(tmp_path: Path) -> DistilProject:
    dp = build_distil_project(tmp_path / "d.studio", n_rows=N, n_human=2, n_test=2)
    add_judge_prompts(dp.path)
    return dp


def _scores(dp: DistilProject) -> dict[int, float | None]:
    project = open_project(dp.path)
    try:
        with read_conn(project) as conn:
            rows = conn.execute(text("SELECT example_id, judge_score FROM candidate")).all()
    finally:
        project.close()
    index = {eid: i for i, eid in enumerate(dp.row_ids)}
    return {index[int(r[0])]: r[1] for r in rows}


def _p(dp: DistilProject) -> list[str]:
    return ["--project", str(dp.path)]


def test_outputs_with_judge_then_judge_again_zero_calls_then_min_judge(dp: DistilProject) -> None:
    responder = TeacherAndJudge(dp.labels)
    with loopback(responder=responder) as server:
        url = server.base_url
        done = studio(
            "distil", "outputs", *_p(dp), "--dataset", "intents", "--prompt", "teacher@1",
            "--base-url", url, "--judge", "grader@1", "--yes", "--json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert (out["rows"], out["stored"], out["calls"]) == (N, N, N)
        # by hand: table answers 8 and 9 are unreadable, i = 8, 9, 20, 21
        assert out["judge"]["scored"] == N - 4 and out["judge"]["unreadable"] == 4
        assert out["judge"]["calls"] == N and set(out["judge"]) == KEYS
        assert f"Then up to {N} judge calls with grader@1" in done.stderr
        assert server.chat_requests == 2 * N
        scores = _scores(dp)
        for i in range(N):
            want = expected_score(i)
            assert scores[i] == (None if want is None else pytest.approx(want)), i

        again = studio("distil", "judge", "intents", *_p(dp), "--judge", "grader@1",
                       "--base-url", url, "--json")  # fmt: skip
        # every call cached, so no confirmation is needed even without --yes
        assert again.returncode == 0, again.stderr
        got = json.loads(again.stdout)
        assert (got["calls"], got["scored"], got["unreadable"]) == (0, N - 4, 4)
        assert f"{N} calls ({N} cached, 0 to send)" in again.stderr
        assert server.chat_requests == 2 * N
        assert set(got["reasons"]) == {str(c) for c in _candidate_ids(dp, [8, 9, 20, 21])}

        listed = studio("distil", "list", "intents", *_p(dp), "--json")
        by_row = {r["example_id"]: r["judge_score"] for r in json.loads(listed.stdout)}
        assert by_row[dp.row_ids[1]] == pytest.approx(0.8)
        table = studio("distil", "list", "intents", *_p(dp))
        assert table.stdout.splitlines()[0].split("\t")[4] == "judge"

    accepted = studio("distil", "accept", "intents", *_p(dp), "--min-judge", "0.85", "--json")
    assert accepted.returncode == 0, accepted.stderr
    result = json.loads(accepted.stdout)
    # by hand, scores >= 0.85 in the table: 1.0 (3), 0.9 (5), 0.85 (7), 1.0 (10): 4 of 12
    assert result["changed"] == 8
    assert result["skipped"] == {"below_judge": N - 4 - 8, "no_judge": 4}


def _candidate_ids(dp: DistilProject, rows: list[int]) -> list[int]:
    project = open_project(dp.path)
    try:
        with read_conn(project) as conn:
            return [
                int(
                    conn.execute(
                        text("SELECT id FROM candidate WHERE example_id = :e"),
                        {"e": dp.row_ids[i]},
                    ).scalar_one()
                )
                for i in rows
            ]
    finally:
        project.close()


def test_judge_ids_selects_rows_and_asks_without_terminal(dp: DistilProject) -> None:
    responder = TeacherAndJudge(dp.labels)
    with loopback(responder=responder) as server:
        url = server.base_url
        teach = studio("distil", "outputs", *_p(dp), "--dataset", "intents", "--prompt",
                       "teacher@1", "--base-url", url, "--yes", "--json")  # fmt: skip
        assert teacher_ok(teach)
        ids = f"{dp.row_ids[0]}-{dp.row_ids[2]}"
        refused = studio("distil", "judge", "intents", *_p(dp), "--judge", "grader@1",
                         "--base-url", url, "--ids", ids)  # fmt: skip
        assert refused.returncode == 2 and "--yes" in refused.stderr
        assert "3 calls (0 cached, 3 to send)" in refused.stderr
        assert sum(responder.judge_calls.values()) == 0
        done = studio("distil", "judge", "intents", *_p(dp), "--judge", "grader@1",
                      "--base-url", url, "--ids", ids, "--yes")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Judge: 3 scored, 0 unreadable, 0 failed; 3 calls made" in done.stdout
        assert dict(responder.judge_calls) == {0: 1, 1: 1, 2: 1}
    scores = _scores(dp)
    assert [scores[i] for i in range(3)] == [pytest.approx(0.7), pytest.approx(0.8), 0.8]
    assert all(scores[i] is None for i in range(3, N))


def teacher_ok(done: object) -> bool:
    assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
    return True


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("distil", "judge", "intents", "--judge", "grader@2"), "--judge: The judge prompt"),
        (("distil", "judge", "intents", "--judge", "nope@1"), "--judge:"),
        (("distil", "judge", "nothing", "--judge", "grader@1"), "nothing"),
        (("distil", "judge", "intents", "--judge", "grader@1", "--concurrency", "0"),
         "--concurrency"),
        (("distil", "judge", "intents"), "--judge"),
        (("distil", "accept", "intents", "--min-judge", "2"), "--min-judge"),
        (("distil", "outputs", "--dataset", "intents", "--prompt", "teacher@1",
          "--judge", "grader@2", "--yes"), "--judge: The judge prompt"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_flag(
    dp: DistilProject, args: tuple[str, ...], needle: str
) -> None:
    done = studio(*args, *_p(dp), "--base-url", "http://127.0.0.1:9/v1")
    if args[1] == "accept":  # accept has no --base-url
        done = studio(*args, *_p(dp))
    assert done.returncode == 2 and needle in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_failed_judge_calls_exit_1_and_keep_no_score(dp: DistilProject) -> None:
    responder = TeacherAndJudge(dp.labels)

    def faults(_index: int, body: dict[str, object]) -> str | None:
        return "500" if body.get("model") == "loopback-judge" else None

    with loopback(responder=responder, faults=faults) as server:
        done = studio(
            "distil", "outputs", *_p(dp), "--dataset", "intents", "--prompt", "teacher@1",
            "--base-url", server.base_url, "--ids", f"{dp.row_ids[0]}-{dp.row_ids[1]}",
            "--judge", "grader@1", "--yes",
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "2 candidates stored" in done.stdout
        assert "Judge: 0 scored, 0 unreadable, 2 failed" in done.stdout
        assert "the judge call failed" in done.stderr
    assert _scores(dp) == {0: None, 1: None}
