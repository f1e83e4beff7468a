"""``studio dataset export --target local-lora``: the run-ready folder from the command
line, and the provenance line every export prints."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers.export_project import DATASET


@pytest.fixture
def proj(export_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "p.studio"
    shutil.copyfile(export_template, path)
    return str(path)


def _export(proj: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "dataset",
            "export",
            "--project",
            proj,
            DATASET,
            "--prompt",
            "support@1",
            "-o",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_local_lora_folder_and_run_line(proj: str, tmp_path: Path) -> None:
    out = tmp_path / "lora"
    done = _export(proj, out, "--target", "local-lora", "--base-model", "Qwen/Qwen2.5-7B-Instruct")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "manifest.json",
        "sft.yaml",
        "train.jsonl",
        "validation.jsonl",
    ]
    assert (
        "Recipe: sft.yaml for TRL 1.16.0 on Qwen/Qwen2.5-7B-Instruct (4-bit QLoRA, 3 epochs, "
        "effective batch 8)" in done.stdout
    )
    assert f"Run: cd {out} && trl sft --config sft.yaml" in done.stdout
    # 12 train + 3 validation rows, each added by hand with its ideal output
    # (ideal_source "human"), none synthetic
    assert (
        "Ideal outputs: 15 human-written, 0 teacher-generated, 0 unknown; inputs: 0 "
        "synthetic, 15 real" in done.stdout
    )
    assert yaml.safe_load((out / "sft.yaml").read_text())["load_in_4bit"] is True


def test_unknown_target_names_the_choices(proj: str, tmp_path: Path) -> None:
    done = _export(proj, tmp_path / "x", "--target", "local-lorra")
    assert done.returncode == 2
    assert "local-lora" in done.stderr and "Traceback" not in done.stderr
