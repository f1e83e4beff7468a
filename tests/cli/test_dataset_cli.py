"""``studio dataset import|list|stats|split``: JSON outputs and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli.main import run_cli
from studio.core.db.project import new_project


@pytest.fixture
def proj(tmp_path: Path) -> str:
    path = tmp_path / "p.studio"
    new_project(path).close()
    return str(path)


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "bank.csv"
    rows = [
        f"question number {i} about my card,{['card_arrival', 'change_pin'][i % 2]}"
        for i in range(40)
    ]
    path.write_text(
        "text,category\n" + "\n".join(rows) + "\nquestion number 0 about my card,card_arrival\n"
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_cli(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_json_list_stats_split(
    proj: str, csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "dataset", "import", "--project", proj, str(csv_file), "--name", "bank", "--json"
    )
    assert code == 0
    assert json.loads(out) == {"imported": 40, "skipped_duplicates": 1, "rejected": []}

    code, out, _ = run(capsys, "dataset", "list", "--project", proj, "--json")
    listed = json.loads(out)
    assert code == 0 and listed[0]["name"] == "bank" and listed[0]["examples"] == 40
    assert listed[0]["task_type"] == "classification"
    code, out, _ = run(capsys, "dataset", "list", "--project", proj)
    assert code == 0 and "bank" in out and "40 examples" in out

    code, out, _ = run(
        capsys,
        "dataset",
        "split",
        "--project",
        proj,
        "bank",
        "--test",
        "0.25",
        "--validation",
        "0.25",
        "--seed",
        "5",
        "--stratify",
        "--json",
    )
    assert code == 0 and json.loads(out) == {
        "train": 20,
        "validation": 10,
        "test": 10,
        "kept_locked": 0,
        "moved": 40,
    }

    code, out, _ = run(capsys, "dataset", "stats", "--project", proj, "bank", "--json")
    stats = json.loads(out)
    assert code == 0
    assert list(stats)[:6] == [
        "examples",
        "by_status",
        "by_split",
        "by_label",
        "duplicates",
        "leaks",
    ]
    assert stats["examples"] == 40 and stats["by_split"]["test"] == 10
    assert stats["by_label"] == {"card_arrival": 20, "change_pin": 20}
    assert isinstance(stats["duplicates"], int) and isinstance(stats["leaks"], int)
    code, out, _ = run(capsys, "dataset", "stats", "--project", proj, "bank")
    assert code == 0 and "40 examples" in out


def test_import_with_explicit_fields(
    proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(
        '{"q": "Why?", "a": "Because.", "topic": "x"}\n{"q": "How?", "a": "So.", "topic": "y"}\n'
    )
    code, out, _ = run(
        capsys,
        "dataset",
        "import",
        "--project",
        proj,
        str(path),
        "--name",
        "qa",
        "--input-field",
        "q",
        "--input-field",
        "topic",
        "--output-field",
        "a",
        "--json",
    )
    assert code == 0 and json.loads(out)["imported"] == 2
    from studio.core.datasets import get_dataset, iter_examples
    from studio.core.db.project import open_project

    with open_project(proj) as project:
        info = get_dataset(project, "qa")
        ex = iter_examples(project, info.id)[0]
    assert info.input_fields == ["q", "topic"] and ex.inputs == {"q": "Why?", "topic": "x"}
    assert ex.ideal_output == "Because."


def test_all_or_nothing_exit_1_and_nothing_imported(
    proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine", "label": "a"}\n{oops\n{"text": "fine too", "label": "b"}\n')
    code, out, _ = run(
        capsys,
        "dataset",
        "import",
        "--project",
        proj,
        str(path),
        "--name",
        "b",
        "--label-field",
        "label",
        "--all-or-nothing",
        "--json",
    )
    result = json.loads(out)
    assert code == 1 and result["imported"] == 0
    assert [r["line"] for r in result["rejected"]] == [2]
    assert "line 2 is not valid JSON" in result["rejected"][0]["reason"]
    code, out, _ = run(capsys, "dataset", "list", "--project", proj, "--json")
    assert json.loads(out) == []
    # without a flag nothing is stored either: the bad rows are listed, exit 2
    args = ["dataset", "import", "--project", proj, str(path), "--name", "b"]
    code, out, err = run(capsys, *args, "--label-field", "label")
    assert code == 2 and "line 2 is not valid JSON" in err and "--skip-bad-rows" in err
    code, out, _ = run(capsys, "dataset", "list", "--project", proj, "--json")
    assert json.loads(out) == []
    # --skip-bad-rows: the good rows go in, exit 0
    code, out, _ = run(capsys, *args, "--label-field", "label", "--skip-bad-rows")
    assert code == 0 and "Imported 2" in out and "line 2" in out


def test_bad_input_exit_2_with_a_sentence(
    proj: str, csv_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "dataset", "import", "--project", proj, str(tmp_path / "none.csv"), "--name", "x"
    )
    assert code == 2 and "none.csv does not exist" in err
    code, _, err = run(
        capsys,
        "dataset",
        "import",
        "--project",
        proj,
        str(csv_file),
        "--name",
        "x",
        "--label-field",
        "intent",
    )
    assert code == 2 and "bank.csv has no column 'intent'" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = run(capsys, "dataset", "import", "--project", proj, str(empty), "--name", "x")
    assert code == 2 and "empty.csv is empty" in err
    run(capsys, "dataset", "import", "--project", proj, str(csv_file), "--name", "bank")
    for flag, value in (("--test", "1.5"), ("--validation", "-0.2"), ("--test", "abc")):
        args = ["dataset", "split", "--project", proj, "bank", "--test", "0.2"]
        args += [flag, value]
        with pytest.raises(SystemExit) as exc:
            run_cli(args)
        err = capsys.readouterr().err
        assert exc.value.code == 2 and flag in err
    code, _, err = run(
        capsys,
        "dataset",
        "split",
        "--project",
        proj,
        "bank",
        "--test",
        "0.7",
        "--validation",
        "0.5",
    )
    assert code == 2 and "--test" in err and "--validation" in err
    code, _, err = run(capsys, "dataset", "stats", "--project", proj, "nope")
    assert code == 2 and 'no dataset with the name "nope"' in err
    assert run(capsys, "dataset", "split", "--project", proj, "bank", "--test", "1")[0] == 0
    assert run(capsys, "dataset", "split", "--project", proj, "bank", "--test", "0")[0] == 0


def test_real_subprocess(proj: str, csv_file: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "dataset",
            "import",
            "--project",
            proj,
            str(csv_file),
            "--name",
            "bank",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported"] == 40
