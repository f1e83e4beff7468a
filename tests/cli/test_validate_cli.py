"""``studio validate``: JSON shape, exit codes, human output, and agreement with the core."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli.main import run_cli
from studio.core.formats import FORMATS, validate_file


def _chat(i: int) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": f"Question {i}?"},
                {"role": "assistant", "content": f"Answer {i}."},
            ]
        }
    )


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.jsonl"
    path.write_text("\n".join(_chat(i) for i in range(12)) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def invalid_file(tmp_path: Path) -> Path:
    lines = [_chat(i) for i in range(12)]
    lines[2] = '{"messages": [{"role": "user", "content": "Hi"},]}'  # bad JSON, column 48
    lines[5] = ""  # blank line
    lines[7] = json.dumps(
        {"messages": [{"role": "bot", "content": "x"}, {"role": "assistant", "content": "y"}]}
    )
    lines[9] = lines[10]  # duplicate (warning)
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_cli(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_file_json_shape_and_exit_0(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    code, out, _ = _run(capsys, str(valid_file), "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["file", "format", "valid", "examples", "findings", "stats"]
    assert data["valid"] is True and data["format"] == "openai-chat"
    assert data["examples"] == 12 and data["file"] == str(valid_file)
    assert all(f["severity"] != "error" for f in data["findings"])
    assert data["stats"]["tokens"]["exact"] is True
    assert data["stats"]["training"]["price_as_of"]


def test_invalid_file_lists_findings_with_lines_and_exit_1(
    capsys: pytest.CaptureFixture[str], invalid_file: Path
) -> None:
    code, out, _ = _run(capsys, str(invalid_file), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["valid"] is False
    for f in data["findings"]:
        assert set(f) == {"line", "severity", "code", "message"}
        assert f["line"] is None or (isinstance(f["line"], int) and f["line"] >= 1)
        assert f["severity"] in ("error", "warning", "info")
    where = {(f["code"], f["line"]) for f in data["findings"]}
    assert ("utf8_bom", 1) in where
    assert ("invalid_json", 3) in where
    assert ("empty_line", 6) in where
    assert ("unknown_role", 8) in where
    assert ("duplicate_example", 11) in where
    bad = next(f for f in data["findings"] if f["code"] == "invalid_json")
    assert "column 48" in bad["message"]
    # valid is false exactly when an error exists
    assert any(f["severity"] == "error" for f in data["findings"])


def test_cli_and_core_agree(capsys: pytest.CaptureFixture[str], invalid_file: Path) -> None:
    _, out, _ = _run(capsys, str(invalid_file), "--json", "--format", "openai-chat")
    core = validate_file(invalid_file, "openai-chat").to_json()
    cli = json.loads(out)
    assert cli["findings"] == core["findings"]
    assert cli["valid"] == core["valid"] and cli["examples"] == core["examples"]
    assert cli["stats"]["tokens"] == core["stats"]["tokens"]


def test_human_output_groups_findings_and_shows_tokens_and_price_date(
    capsys: pytest.CaptureFixture[str], invalid_file: Path
) -> None:
    code, out, _ = _run(capsys, str(invalid_file))
    assert code == 1
    first = out.splitlines()[0]
    assert "INVALID" in first and "openai-chat" in first and "10 examples" in first
    assert "Errors" in out and "Warnings" in out
    assert "  invalid_json (1)" in out and "    line 3: Invalid JSON at column 48" in out
    assert "Tokens (o200k_base, exact)" in out
    assert "prices as of 20" in out


def test_human_output_caps_lines_per_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join("{bad" for _ in range(12)) + "\n", encoding="utf-8")
    code, out, _ = _run(capsys, str(path), "--format", "openai-chat")
    assert code == 1
    assert "  invalid_json (12)" in out
    assert out.count("    line ") == 5
    assert "... 7 more (lines 6, 7, 8, 9, 10, 11, 12)" in out


@pytest.mark.parametrize("fmt", ["vertex-gemini", "trl", "mistral"])
def test_explicit_format_mismatch_is_invalid(
    capsys: pytest.CaptureFixture[str], valid_file: Path, fmt: str
) -> None:
    code, out, _ = _run(capsys, str(valid_file), "--format", fmt, "--json")
    data = json.loads(out)
    assert data["format"] == fmt
    assert code == (0 if data["valid"] else 1)
    if fmt == "vertex-gemini":
        assert code == 1 and "format_mismatch" in {f["code"] for f in data["findings"]}


def test_model_option_changes_the_limit_and_cost(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    _, out, _ = _run(capsys, str(valid_file), "--json", "--model", "gpt-3.5-turbo")
    training = json.loads(out)["stats"]["training"]
    assert training["model"] == "gpt-3.5-turbo"
    assert json.loads(out)["stats"]["tokens"]["limit"] == 16385


def test_schema_checks_assistant_outputs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, valid_file: Path
) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object"}), encoding="utf-8")
    code, out, _ = _run(capsys, str(valid_file), "--json", "--schema", str(schema))
    assert code == 1
    assert "output_not_json" in {f["code"] for f in json.loads(out)["findings"]}


@pytest.mark.parametrize(
    "argv_suffix, needle",
    [
        (["--schema", "{tmp}/missing.json"], "missing.json"),
        (["--schema", "{tmp}/broken.json"], "broken.json"),
        (["--schema", "{tmp}/bad_schema.json"], "bad_schema.json"),
    ],
)
def test_bad_schema_file_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    valid_file: Path,
    argv_suffix: list[str],
    needle: str,
) -> None:
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "bad_schema.json").write_text('{"type": 5}', encoding="utf-8")
    argv = [a.format(tmp=tmp_path) for a in argv_suffix]
    code, out, err = _run(capsys, str(valid_file), "--json", *argv)
    assert code == 2 and out == ""
    assert needle in err and "Traceback" not in err


def test_missing_file_and_folder_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, str(tmp_path / "nope.jsonl"), "--json")
    assert code == 2 and out == "" and "nope.jsonl" in err and "does not exist" in err
    code, _, err = _run(capsys, str(tmp_path))
    assert code == 2 and "is not a file" in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], valid_file: Path) -> None:
    with pytest.raises(SystemExit) as info:
        run_cli(["validate", str(valid_file), "--format", "gpt-json"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        run_cli(["validate"])
    assert info.value.code == 2
    capsys.readouterr()


def test_empty_and_binary_files_are_invalid_not_crashes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    code, out, _ = _run(capsys, str(empty), "--json")
    assert code == 1 and json.loads(out)["findings"][0]["code"] == "empty_file"
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(bytes(range(256)) * 4)
    code, out, _ = _run(capsys, str(binary), "--json")
    assert code == 1 and json.loads(out)["valid"] is False


def test_every_format_name_is_accepted(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    for fmt in ("auto", *FORMATS):
        code, out, _ = _run(capsys, str(valid_file), "--format", fmt, "--json")
        assert code in (0, 1) and json.loads(out)["format"] in FORMATS


def test_real_subprocess_exit_codes(valid_file: Path, invalid_file: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    ok = subprocess.run(
        [sys.executable, "-m", "studio", "validate", str(valid_file), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["valid"] is True
    bad = subprocess.run(
        [sys.executable, "-m", "studio", "validate", str(invalid_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 1 and "INVALID" in bad.stdout
