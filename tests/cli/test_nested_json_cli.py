"""10,000-level nested JSON in every file the CLI reads: exit 2 naming file and line
(ISSUE-10 §7), never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli.main import run_cli

N = 10_000
DEEP_ARRAY = "[" * N + "]" * N
DEEP_OBJECT = '{"a":' * N + "1" + "}" * N


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = run_cli(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "RecursionError" not in err
    return code, out, err


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _prompt_doc(schema: str) -> str:
    head = json.dumps({"name": "x", "model": "m", "messages": [{"role": "user", "content": "hi"}]})[
        :-1
    ]
    return head + ',\n"response_schema": ' + schema + "}\n"


def test_prompt_file_json(capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path) -> None:
    f = _write(tmp_path, "deep.json", _prompt_doc(DEEP_OBJECT))
    code, _, err = _run(capsys, ["prompt", "save", "--project", str(proj), "x", "--from", str(f)])
    assert code == 2
    assert f"{f}, line 2, column" in err and "nested more than 100 levels" in err


def test_prompt_file_yaml_flow_and_block(
    capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path
) -> None:
    flow = _write(
        tmp_path,
        "deep.yaml",
        "name: x\nmodel: m\nmessages:\n  - role: user\n"
        "    content: hi\nresponse_schema: " + DEEP_ARRAY + "\n",
    )
    code, _, err = _run(
        capsys, ["prompt", "save", "--project", str(proj), "x", "--from", str(flow)]
    )
    assert code == 2 and f"{flow}, line 6" in err
    # block style nests by indentation: 150 levels of "a:" mappings
    block = "name: x\nmodel: m\nmessages:\n  - role: user\n    content: hi\nresponse_schema:\n"
    block += "".join("  " * (i + 1) + "a:\n" for i in range(150)) + "  " * 151 + "1\n"
    deep_block = _write(tmp_path, "block.yaml", block)
    code, _, err = _run(
        capsys, ["prompt", "save", "--project", str(proj), "x", "--from", str(deep_block)]
    )
    assert code == 2 and str(deep_block) in err and "nested more than 100 levels" in err


def test_decide_answers(capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path) -> None:
    f = _write(tmp_path, "answers.json", '{\n"must_change": ' + DEEP_ARRAY + "}")
    code, _, err = _run(capsys, ["decide", "--project", str(proj), "--answers", str(f)])
    assert code == 2
    assert f"The answers file {f}, line 2, column" in err


def test_prompt_render_vars(capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path) -> None:
    f = _write(tmp_path, "vars.json", '{"a": ' + DEEP_ARRAY + "}")
    code, _, err = _run(capsys, ["prompt", "render", "--project", str(proj), "x", "--vars", str(f)])
    assert code == 2 and f"{f}, line 1" in err


def test_validate_schema_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = _write(
        tmp_path,
        "t.jsonl",
        json.dumps(
            {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
        )
        + "\n",
    )
    schema = _write(tmp_path, "schema.json", "\n\n" + DEEP_OBJECT)
    code, _, err = _run(capsys, ["validate", str(data), "--schema", str(schema)])
    assert code == 2 and f"The schema file {schema}, line 3" in err


def test_dataset_json_array(capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path) -> None:
    f = _write(
        tmp_path,
        "rows.json",
        '[{"text": "a", "label": "b"},\n{"text": ' + DEEP_ARRAY + ', "label": "c"}]',
    )
    code, _, err = _run(
        capsys, ["dataset", "import", "--project", str(proj), str(f), "--name", "d"]
    )
    assert code == 2 and f"{f}, line 2" in err


@pytest.mark.parametrize("depth", [N, 900])  # orjson's own limit is 1,024 levels
def test_dataset_jsonl_row(
    capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path, depth: int
) -> None:
    deep = "[" * depth + "]" * depth
    f = _write(
        tmp_path,
        "rows.jsonl",
        '{"text": "a", "label": "b"}\n{"text": ' + deep + ', "label": "c"}\n',
    )
    # the row is named by line and nothing is stored (exit 2); --skip-bad-rows imports the
    # good row; --all-or-nothing makes the bad row a failed import (exit 1)
    code, out, err = _run(
        capsys, ["dataset", "import", "--project", str(proj), str(f), "--name", f"d{depth}"]
    )
    assert code == 2 and f"{f}: line 2 is" in out + err
    code, out, _ = _run(
        capsys,
        [
            "dataset",
            "import",
            "--project",
            str(proj),
            str(f),
            "--name",
            f"d{depth}",
            "--skip-bad-rows",
        ],
    )
    assert code == 0 and "rejected 1 row(s)" in out and f"{f}: line 2 is" in out
    code, out, _ = _run(
        capsys,
        [
            "dataset",
            "import",
            "--project",
            str(proj),
            str(f),
            "--name",
            f"e{depth}",
            "--all-or-nothing",
        ],
    )
    assert code == 1 and "Nothing imported" in out


def test_dataset_csv_cell_for_extraction(
    capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path
) -> None:
    deep = ('{"a":' * 900 + "1" + "}" * 900).replace('"', '""')
    f = _write(tmp_path, "rows.csv", f'text,out\nhello,"{{""a"": 1}}"\nworld,"{deep}"\n')
    code, out, _ = _run(
        capsys,
        [
            "dataset",
            "import",
            "--project",
            str(proj),
            str(f),
            "--name",
            "x",
            "--input-field",
            "text",
            "--output-field",
            "out",
            "--task-type",
            "extraction",
            "--skip-bad-rows",
        ],
    )
    assert code == 0 and "rejected 1 row(s)" in out and "nested more than 100 levels" in out


@pytest.mark.parametrize("depth", [N, 900])
def test_validate_jsonl_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, depth: int
) -> None:
    deep = "[" * depth + "]" * depth
    ok = json.dumps(
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    )
    f = _write(tmp_path, "t.jsonl", ok + '\n{"messages": ' + deep + "}\n")
    # a bad line makes the file invalid (exit 1) and is named by its line
    code, out, _ = _run(capsys, ["validate", str(f), "--json"])
    assert code == 1
    report = json.loads(out)
    bad = [x for x in report["findings"] if x["line"] == 2]
    assert bad and bad[0]["code"] in ("invalid_json", "too_deep")


def test_subprocess_prompt_file_exits_2_without_traceback(tmp_path: Path, proj: Path) -> None:
    f = _write(tmp_path, "deep.json", _prompt_doc(DEEP_ARRAY))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "prompt",
            "save",
            "--project",
            str(proj),
            "x",
            "--from",
            str(f),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and f"{f}, line 2" in done.stderr
