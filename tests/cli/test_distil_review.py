"""``studio distil accept|reject|list`` and the ``candidate`` field of ``dataset rows --json``.

Candidates are written straight into a real project file (tests/helpers/distil_candidates.py);
every command runs as ``sys.executable -m studio`` in a fresh process. Expected counts are
counted by hand from the helper's table of cases.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers.distil_candidates import CandidatesProject, build_candidates_project
from test_dataset_curate_cli import ok, studio


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> CandidatesProject:
    return build_candidates_project(tmp_path_factory.mktemp("distil_cli") / "template.studio")


@pytest.fixture
def dp(template: CandidatesProject, tmp_path: Path) -> CandidatesProject:
    path = tmp_path / "p.studio"
    shutil.copyfile(template.path, path)
    return CandidatesProject(
        path, template.dataset_id, template.examples, template.candidates, template.old_candidate
    )


def run_json(home: Path, *argv: str) -> Any:
    return json.loads(ok(home, *argv, "--json"))


def _statuses(path: Path) -> dict[int, str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0]: r[1] for r in conn.execute("SELECT id, status FROM candidate")}
    finally:
        conn.close()


def test_accept_rows_history_undo(dp: CandidatesProject, tmp_path: Path) -> None:
    home, p = tmp_path, str(dp.path)
    ex, cand = dp.examples, dp.candidates
    before = _statuses(dp.path)

    out = run_json(home, "distil", "accept", "intents", "--project", p, "--min-agreement", "1")
    # By hand (helpers/distil_candidates.CASES): 4 accepted; human approved, low agreement,
    # failed + invalid, unmeasured, "I do not know" skipped
    assert out["changed"] == 4 and out["examples"] == 4
    assert out["skipped"] == {
        "below_agreement": 1,
        "human_approved": 1,
        "invalid": 2,
        "no_agreement": 1,
        "no_label": 1,
    }
    history = run_json(home, "dataset", "history", "intents", "--project", p)
    assert history[0]["description"] == "Accept 4 teacher outputs"
    assert history[0]["id"] == out["op_id"] and history[0]["count"] == 4

    rows = {r["id"]: r for r in run_json(home, "dataset", "rows", "intents", "--project", p)}
    assert len(rows) == len(ex)
    card = rows[ex["teacher_card"]]
    assert (card["label"], card["ideal_output"], card["status"]) == (
        "card_lost",
        "card_lost",
        "approved",
    )
    assert card["candidate"] == {
        "id": cand["teacher_card"],
        "output": "Card lost",
        "label": None,
        "prompt": "triage",
        "version": 3,
        "model": "big-model",
        "agreement": 1.0,
        "judge_score": None,
        "judge_ref": None,
        "judge_model": None,
        "valid": True,
        "status": "accepted",
    }
    assert rows[ex["no_candidate"]]["candidate"] is None
    # The current candidate is the newest: teacher_refund's, not the older rejected one
    assert rows[ex["teacher_refund"]]["candidate"]["id"] == cand["teacher_refund"]
    assert rows[ex["failed"]]["candidate"]["valid"] is False
    assert rows[ex["human"]]["candidate"]["status"] == "pending"

    undone = run_json(home, "dataset", "undo", "intents", "--project", p)
    assert [u["id"] for u in undone] == [out["op_id"]]
    assert _statuses(dp.path) == before
    rows = {r["id"]: r for r in run_json(home, "dataset", "rows", "intents", "--project", p)}
    card = rows[ex["teacher_card"]]
    assert (card["label"], card["status"], card["candidate"]["status"]) == (
        None,
        "draft",
        "pending",
    )

    # Text output says what happened and how to undo it
    text = ok(home, "distil", "accept", "intents", "--project", p, "--min-agreement", "1")
    assert "Accept 4 teacher outputs (operation" in text and "4 accepted" in text
    assert "1 approved human ideal output" in text
    # The printed undo command works as printed (quoted for a shell)
    (hint,) = [line for line in text.splitlines() if line.startswith("Undo: ")]
    argv = shlex.split(hint.removeprefix("Undo: "))
    assert argv[:3] == ["studio", "dataset", "undo"]
    assert "Undone operation" in ok(home, *argv[1:])
    assert _statuses(dp.path) == before


def test_selection_and_include_invalid(dp: CandidatesProject, tmp_path: Path) -> None:
    home, p = tmp_path, str(dp.path)
    ex, cand = dp.examples, dp.candidates
    # Only teacher_refund2 is needs_review
    out = run_json(
        home, "distil", "accept", "intents", "--project", p, "--where", "status=needs_review"
    )
    assert (out["changed"], out["skipped"]) == (1, {})
    assert _statuses(dp.path)[cand["teacher_refund2"]] == "accepted"
    # The invalid answer is accepted only with --include-invalid
    ids = f"{ex['invalid']},{ex['failed']}"
    out = run_json(home, "distil", "accept", "intents", "--project", p, "--ids", ids)
    assert (out["changed"], out["skipped"], out["op_id"]) == (0, {"invalid": 2}, None)
    out = run_json(
        home, "distil", "accept", "intents", "--project", p, "--ids", ids, "--include-invalid"
    )
    assert (out["changed"], out["skipped"]) == (1, {"no_output": 1})
    assert _statuses(dp.path)[cand["invalid"]] == "accepted"


def test_reject_and_list(dp: CandidatesProject, tmp_path: Path) -> None:
    home, p = tmp_path, str(dp.path)
    cand = dp.candidates
    out = run_json(home, "distil", "reject", "intents", "--project", p, "--below-agreement", "0.8")
    # Pending with agreement < 0.8: low_agreement (0.6) only
    assert out["changed"] == 1 and out["description"] == "Reject 1 teacher output"
    assert out["skipped"] == {"at_or_above_agreement": 7, "failed": 1, "no_agreement": 1}
    rejected = run_json(home, "distil", "list", "intents", "--project", p, "--status", "rejected")
    assert sorted(r["id"] for r in rejected) == sorted([dp.old_candidate, cand["low_agreement"]])
    assert all(r["status"] == "rejected" for r in rejected)

    everything = run_json(home, "distil", "list", "intents", "--project", p)
    assert len(everything) == 11  # ten cases with a candidate + the older one
    first = everything[0]
    assert set(first) >= {"id", "example_id", "input_text", "output", "agreement", "valid"}

    r = studio(home, "distil", "list", "intents", "--project", p)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].startswith("candidate\trow\tstatus") and len(lines) == 12
    assert "11 candidates of intents" in r.stderr
    assert any("customer message 5 (low_agreement)" in line for line in lines)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["distil", "accept", "nope"], "There is no dataset"),
        (["distil", "accept", "intents", "--min-agreement", "2"], "--min-agreement"),
        (["distil", "reject", "intents"], "--below-agreement"),
        (["distil", "list", "intents", "--status", "maybe"], "invalid choice"),
        (["distil", "accept", "intents", "--where", "colour=red"], "--where"),
    ],
)
def test_bad_input_exits_2(
    dp: CandidatesProject, tmp_path: Path, argv: list[str], needle: str
) -> None:
    before = _statuses(dp.path)
    r = studio(tmp_path, *argv, "--project", str(dp.path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert _statuses(dp.path) == before
