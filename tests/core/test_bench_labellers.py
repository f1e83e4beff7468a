"""The many-labellers benchmark's own check (benchmarks/bench_labellers.py) on a small run:
two labeller processes editing one shared row account for every edit (applied or
refused) with no lost update, and the same run without row versions (``--unsafe``) is
caught losing updates, so the check is not vacuous.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def bench(tmp_path: Path, *extra: str) -> dict[str, object]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "STUDIO_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_labellers.py"),
            "--project",
            str(tmp_path / f"bench{len(extra)}.studio"),
            "--writers",
            "2",
            "--edits",
            "60",
            "--rows",
            "1",
            "--think-ms",
            "3",
            "--json",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return dict(json.loads(done.stdout))


def test_versioned_edits_lose_nothing_and_the_check_catches_unversioned_ones(
    tmp_path: Path,
) -> None:
    safe = bench(tmp_path)
    assert safe["accounted"] is True and safe["errors"] == 0
    assert safe["applied"] + safe["refused"] == 120  # type: ignore[operator]
    assert safe["refused"] > 0  # type: ignore[operator]  # one shared row: conflicts happen
    assert safe["lost_updates"] == 0
    unsafe = bench(tmp_path, "--unsafe")
    assert unsafe["applied"] == 120 and unsafe["refused"] == 0
    assert unsafe["applied_on_a_stale_read"] > 0  # type: ignore[operator]
