"""``studio dataset export``: files, manifest JSON, exit codes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from helpers.export_project import DATASET

from studio.cli.main import run_cli


@pytest.fixture
def proj(export_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "p.studio"
    shutil.copyfile(export_template, path)
    return str(path)


def _export(
    capsys: pytest.CaptureFixture[str],
    proj: str,
    out: Path,
    *extra: str,
    target: str = "openai-chat",
    prompt: str = "support@1",
    name: str = DATASET,
) -> tuple[int, str, str]:
    code = run_cli(
        [
            "dataset",
            "export",
            "--project",
            proj,
            name,
            "--target",
            target,
            "--prompt",
            prompt,
            "-o",
            str(out),
            *extra,
        ]
    )
    o, e = capsys.readouterr()
    return code, o, e


def test_export_json_prints_the_manifest_and_writes_the_files(
    capsys: pytest.CaptureFixture[str], proj: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, stdout, _ = _export(capsys, proj, out, "--json")
    assert code == 0
    manifest = json.loads(stdout)
    assert manifest == json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for role in ("train", "validation"):
        path = out / f"{role}.jsonl"
        assert manifest["files"][role]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["counts"]["train"] == 12 and manifest["counts"]["validation"] == 3
    assert manifest["prompt"]["ref"] == "support@1" and manifest["target"] == "openai-chat"


def test_export_human_output(capsys: pytest.CaptureFixture[str], proj: str, tmp_path: Path) -> None:
    code, stdout, _ = _export(capsys, proj, tmp_path / "h", target="bedrock-nova")
    assert code == 0
    assert "train.jsonl  12 records" in stdout and "valid" in stdout
    assert "2 examples in the test split were not exported" in stdout
    assert "Manifest:" in stdout


def test_validation_fraction_flag(
    capsys: pytest.CaptureFixture[str], proj: str, tmp_path: Path
) -> None:
    code, stdout, _ = _export(capsys, proj, tmp_path / "f", "--validation", "0.25", "--json")
    assert code == 0
    # the dataset has a validation split, so it is used and the fraction is not
    assert json.loads(stdout)["selection"]["validation_source"] == "split"


def test_preference_target_exports_dpo_pairs(
    capsys: pytest.CaptureFixture[str], proj: str, tmp_path: Path
) -> None:
    code, stdout, _ = _export(capsys, proj, tmp_path / "d", "--json", target="openai-dpo")
    assert code == 0
    manifest = json.loads(stdout)
    assert manifest["format"] == "preference" and manifest["counts"]["train"] == 11


def test_failed_revalidation_exits_1_and_deletes(
    capsys: pytest.CaptureFixture[str], proj: str, tmp_path: Path
) -> None:
    from studio.core.datasets import set_status
    from studio.core.db.project import open_project

    with open_project(proj) as project:
        ids = [i for i in range(1, 8)]
        set_status(project, 1, ids, "needs_review")  # leaves 5 approved train examples
    out = tmp_path / "x"
    code, stdout, err = _export(capsys, proj, out)
    assert code == 1
    assert "FAILED" in stdout and "at least 10" in stdout
    assert "deleted" in err
    assert not (out / "train.jsonl").exists() and not (out / "manifest.json").exists()
    code, stdout, _ = _export(capsys, proj, out, "--json")
    assert code == 1 and json.loads(stdout)["status"] == "failed_validation"
    assert json.loads(stdout)["findings"]["train"][0]["code"] == "too_few_examples"


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"name": "nope"}, "no dataset"),
        ({"prompt": "support@7"}, "support"),
        ({"prompt": "ghost@1"}, "ghost"),
    ],
)
def test_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str],
    proj: str,
    tmp_path: Path,
    kwargs: dict[str, str],
    needle: str,
) -> None:
    code, stdout, err = _export(capsys, proj, tmp_path / "b", **kwargs)
    assert code == 2 and stdout == ""
    assert needle in err and "Traceback" not in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], proj: str, tmp_path: Path) -> None:
    for extra in (["--target", "gpt-json"], ["--validation", "1.5"]):
        argv = [
            "dataset",
            "export",
            "--project",
            proj,
            DATASET,
            "--prompt",
            "support@1",
            "-o",
            str(tmp_path / "u"),
        ]
        if extra[0] == "--validation":
            argv += ["--target", "trl"]
        with pytest.raises(SystemExit) as info:
            run_cli(argv + extra)
        assert info.value.code == 2
    code = run_cli(
        [
            "dataset",
            "export",
            "--project",
            str(tmp_path / "missing.studio"),
            DATASET,
            "--target",
            "trl",
            "--prompt",
            "support@1",
            "-o",
            str(tmp_path / "u"),
        ]
    )
    assert code == 2
    capsys.readouterr()
