"""``python -m studio`` as one labeller (STUDIO_USER) on dataset ``q``, for the team CLI tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def studio(home: Path, *argv: str, user: str) -> subprocess.CompletedProcess[str]:
    """One command as ``user``, with its own settings folder ``home``."""
    env = {
        **os.environ,
        "STUDIO_HOME": str(home),
        "STUDIO_USER": user,
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    return subprocess.run(
        [sys.executable, "-m", "studio", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=home,
    )


def ok(home: Path, *argv: str, user: str = "tester") -> str:
    """stdout of a command that must succeed without a traceback."""
    r = studio(home, *argv, user=user)
    assert r.returncode == 0, (argv, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r.stdout


def refused(home: Path, *argv: str, user: str) -> str:
    """stderr of a command that must exit 2 with a sentence, not a traceback."""
    r = studio(home, *argv, user=user)
    assert r.returncode == 2, (argv, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r.stderr


def rows(home: Path, proj: str) -> dict[int, tuple[str | None, int]]:
    """Dataset ``q``'s rows as {id: (label, version)}, read with ``dataset rows --json``."""
    out = json.loads(ok(home, "dataset", "rows", "--project", proj, "q", "--json"))
    return {int(r["id"]): (r["label"], int(r["version"])) for r in out}


def history(home: Path, proj: str) -> list[dict[str, Any]]:
    """Dataset ``q``'s operations, from ``dataset history --json``."""
    out: list[dict[str, Any]] = json.loads(
        ok(home, "dataset", "history", "--project", proj, "q", "--json")
    )
    return out
