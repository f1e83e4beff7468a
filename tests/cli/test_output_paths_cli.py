"""Every ``-o/--output`` refuses the project, the command's inputs, an existing file and a
non-empty folder (unless ``--force``), with exit 2 and a sentence naming the path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers.export_project import DATASET

from studio.cli.main import run_cli
from studio.core.demo.decision import DEMO_ANSWERS


@pytest.fixture
def template(export_template: Path) -> Path:
    """The session's export template (tests/conftest.py), by the name these tests use."""
    return export_template


@pytest.fixture
def proj(export_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "p.studio"
    shutil.copyfile(export_template, path)
    return path


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(DEMO_ANSWERS), encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = run_cli(argv)
    _out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, err


def _decide(proj: Path, answers: Path, out: Path, *extra: str) -> list[str]:
    return [
        "decide",
        "--project",
        str(proj),
        "--answers",
        str(answers),
        "--today",
        "2026-11-22",
        "-o",
        str(out),
        *extra,
    ]


def _prompt_export(proj: Path, out: Path, *extra: str) -> list[str]:
    return ["prompt", "export", "--project", str(proj), "support@1", "-o", str(out), *extra]


def _dataset_export(proj: Path, out: Path, *extra: str) -> list[str]:
    return [
        "dataset",
        "export",
        "--project",
        str(proj),
        DATASET,
        "--target",
        "openai-chat",
        "--prompt",
        "support@1",
        "-o",
        str(out),
        *extra,
    ]


def test_decide_refuses_the_project_file_even_with_force(
    capsys: pytest.CaptureFixture[str], proj: Path, answers: Path
) -> None:
    before = proj.read_bytes()
    renamed = proj.with_suffix(".md")  # a suffix decide accepts, pointing at the project
    proj.rename(renamed)
    for extra in ((), ("--force",)):
        code, err = _run(capsys, _decide(renamed, answers, renamed, *extra))
        assert code == 2
        assert "is the project file" in err and str(renamed) in err
    assert renamed.read_bytes() == before


def test_decide_refuses_its_answers_file_even_with_force(
    capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.md"
    answers.write_text(json.dumps(DEMO_ANSWERS), encoding="utf-8")
    before = answers.read_bytes()
    for extra in ((), ("--force",)):
        code, err = _run(capsys, _decide(proj, answers, answers, *extra))
        assert code == 2 and "is an input of this command" in err and str(answers) in err
    assert answers.read_bytes() == before


def test_decide_refuses_an_existing_report_unless_force(
    capsys: pytest.CaptureFixture[str], proj: Path, answers: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.md"
    out.write_text("my notes\n", encoding="utf-8")
    code, err = _run(capsys, _decide(proj, answers, out))
    assert code == 2 and "already exists; pass --force" in err and str(out) in err
    assert out.read_text(encoding="utf-8") == "my notes\n"
    code, _err = _run(capsys, _decide(proj, answers, out, "--force"))
    assert code == 0
    assert out.read_text(encoding="utf-8").startswith("#")


def test_prompt_export_refusals(
    capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path
) -> None:
    as_json = proj.with_suffix(".json")
    proj.rename(as_json)
    code, err = _run(capsys, _prompt_export(as_json, as_json, "--force"))
    assert code == 2 and "is the project file" in err
    out = tmp_path / "support.json"
    out.write_text("{}", encoding="utf-8")
    code, err = _run(capsys, _prompt_export(as_json, out))
    assert code == 2 and "already exists" in err and out.read_text(encoding="utf-8") == "{}"
    code, _err = _run(capsys, _prompt_export(as_json, out, "--force"))
    assert code == 0 and json.loads(out.read_text(encoding="utf-8"))["name"] == "support"
    # a symlink to the project is the project
    link = tmp_path / "link.yaml"
    link.symlink_to(as_json)
    code, err = _run(capsys, _prompt_export(as_json, link, "--force"))
    assert code == 2 and "is the project file" in err


def test_dataset_export_refuses_a_non_empty_folder_unless_force(
    capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    code, err = _run(capsys, _dataset_export(proj, out))
    assert code == 2 and "already holds files; pass --force" in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    code, _err = _run(capsys, _dataset_export(proj, out, "--force"))
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "keep.txt",
        "manifest.json",
        "train.jsonl",
        "validation.jsonl",
    ]
    # an empty folder and a new folder need no --force
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _run(capsys, _dataset_export(proj, empty))[0] == 0
    assert _run(capsys, _dataset_export(proj, tmp_path / "new"))[0] == 0


def test_dataset_export_refuses_a_folder_where_it_would_overwrite_the_project(
    capsys: pytest.CaptureFixture[str], template: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    proj = folder / "train.jsonl"  # a project named like the file the export writes
    shutil.copyfile(template, proj)
    before = proj.read_bytes()
    code, err = _run(capsys, _dataset_export(proj, folder, "--force"))
    assert code == 2 and "is the project file" in err
    assert proj.read_bytes() == before
    code, err = _run(capsys, _dataset_export(proj, proj))
    assert code == 2 and "is the project file" in err


def test_dataset_export_refuses_a_file_as_folder(
    capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path
) -> None:
    f = tmp_path / "a-file"
    f.write_text("x", encoding="utf-8")
    code, err = _run(capsys, _dataset_export(proj, f, "--force"))
    assert code == 2 and "is a file; name a folder" in err
