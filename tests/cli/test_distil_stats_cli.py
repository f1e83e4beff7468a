"""``studio distil stats``: JSON and text figures against the hand count, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import distil_evidence_project as fx
from helpers.distil_evidence_project import HAND
from scipy.stats import binomtest

from studio.cli.main import run_cli
from studio.core.db.project import open_project


@pytest.fixture
def built(proj: Path) -> Path:
    project = open_project(proj)
    try:
        fx.build(project)
    finally:
        project.close()
    return proj


def _studio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_matches_the_hand_count(built: Path) -> None:
    done = _studio("distil", "stats", fx.DATASET, "--project", str(built), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [data[k] for k in ("accepted", "rejected", "pending", "failed")] == [2, 2, 3, 2]
    assert data["by_label"] == {
        k: {"accepted": a, "reviewed": r} for k, (a, r) in HAND["by_label"].items()
    }
    assert data["agreement"] == HAND["agreement"]
    ci = binomtest(2, 4).proportion_ci(method="wilson")
    assert data["teacher"]["correct"] == 2 and data["teacher"]["compared"] == 4
    assert data["teacher"]["ci95"] == pytest.approx([ci.low, ci.high], abs=1e-9)
    assert data["ideals"] == {"human": 4, "teacher": 2, "unknown": 1}
    assert data["synthetic_inputs"] == 2


def test_text_report(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["distil", "stats", fx.DATASET, "--project", str(built)]) == 0
    out = capsys.readouterr().out
    ci = binomtest(2, 4).proportion_ci(method="wilson")
    assert "9 candidates — 2 accepted, 2 rejected, 3 pending, 2 failed" in out
    assert "Acceptance: 50.0 % of 4 reviewed" in out
    assert "refund: 1 / 2" in out
    assert (
        f"Teacher vs human ideals: 2/4 = 50.0 % (95 % CI {100 * ci.low:.1f} %–"
        f"{100 * ci.high:.1f} %), from 0 audit rows and 4 reviewed rows." in out
    )
    assert "4 human-written, 2 teacher-generated, 1 unknown; synthetic inputs: 2" in out


def test_unknown_dataset_is_exit_2_without_traceback(built: Path) -> None:
    done = _studio("distil", "stats", "nope", "--project", str(built))
    assert done.returncode == 2
    assert "nope" in done.stderr and "Traceback" not in done.stderr
