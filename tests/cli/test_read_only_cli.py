"""Reading commands on a read-only project (chmod 444) work; writing ones say why not.

ISSUE-11 §6. Runs the real ``studio`` command line as a subprocess on a real project file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _studio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_read_commands_work_on_a_read_only_project(tmp_path: Path) -> None:
    proj = tmp_path / "ro.studio"
    csv = tmp_path / "three.csv"
    # Three rows by hand: two "card" and one "fee"
    csv.write_text("text,category\nwhere is my card,card\ncard blocked,card\nwhy a fee,fee\n")
    assert _studio("new", str(proj)).returncode == 0
    done = _studio("dataset", "import", "--project", str(proj), "--name", "tiny", str(csv))
    assert done.returncode == 0, done.stderr
    proj.chmod(0o444)
    before = proj.read_bytes()

    listed = _studio("dataset", "list", "--project", str(proj))
    assert listed.returncode == 0, listed.stderr
    assert "tiny" in listed.stdout and "3 examples" in listed.stdout
    stats = _studio("dataset", "stats", "tiny", "--project", str(proj), "--json")
    assert stats.returncode == 0, stats.stderr
    assert '"examples": 3' in stats.stdout
    prompts = _studio("prompt", "list", "--project", str(proj))
    assert prompts.returncode == 0, prompts.stderr
    assert "Traceback" not in prompts.stderr

    # A write names the problem in one sentence, exit code 2, nothing changed
    write = _studio("dataset", "import", "--project", str(proj), "--name", "more", str(csv))
    assert write.returncode == 2, write.stdout + write.stderr
    assert "read-only" in write.stderr and "Traceback" not in write.stderr
    assert proj.read_bytes() == before
