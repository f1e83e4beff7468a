"""The GUI entry point: arguments, and real start-ups in a subprocess (offscreen)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.app import parse_gui_args

REPO = Path(__file__).resolve().parents[2]


def _start(args: list[str], home: Path, ready: str = "full") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STUDIO_HOME": str(home),
        "STUDIO_EXIT_WHEN_READY": ready,
        "QT_QPA_PLATFORM": "offscreen",
    }
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_gui_arguments() -> None:
    args = parse_gui_args(["my.studio"])
    assert args.file == "my.studio" and not args.demo
    args = parse_gui_args(["--demo", "--temp-data-dir"])
    assert args.demo and args.temp_data_dir and args.file is None
    with pytest.raises(SystemExit):
        parse_gui_args(["--nope"])


@pytest.mark.slow
def test_studio_demo_starts_creates_the_demo_and_shows_its_prompts(tmp_path: Path) -> None:
    proc = _start(["--demo"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "STUDIO_READY" in proc.stdout and "project-open" in proc.stdout
    assert (tmp_path / "data" / "demo.studio").exists()
    assert "Traceback" not in proc.stderr
    # second start: the prompt list comes from the quick look first
    again = _start(["--demo"], tmp_path, ready="1")
    assert again.returncode == 0 and "prompt-list" in again.stdout


@pytest.mark.slow
def test_opening_a_garbage_file_from_the_command_line_fails_politely(tmp_path: Path) -> None:
    bad = tmp_path / "bad.studio"
    bad.write_text("hello", encoding="utf-8")
    proc = _start([str(bad)], tmp_path / "home")
    assert "STUDIO_FAILED" in proc.stdout and "not a studio project" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_file_and_demo_together_is_a_usage_error(tmp_path: Path) -> None:
    proc = _start(["x.studio", "--demo"], tmp_path)
    assert proc.returncode == 2 and "not both" in proc.stderr
