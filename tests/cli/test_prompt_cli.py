"""``studio prompt ...``: outputs and exit codes (in-process, plus two real subprocesses)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli.main import run_cli

PROMPT = {
    "name": "triage",
    "description": "Routes tickets",
    "messages": [
        {"role": "system", "content": "Sort the ticket.\nAnswer with one word."},
        {"role": "user", "content": "{{text}}"},
    ],
    "model": "gpt-4o-mini",
    "params": {"temperature": 0.2},
    "response_schema": None,
    "tools": None,
}


@pytest.fixture
def proj(empty_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "p.studio"
    shutil.copyfile(empty_template, path)
    return str(path)


def write_prompt(tmp_path: Path, name: str = "p.json", **over: object) -> str:
    doc = {**PROMPT, **over}
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_cli(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_save_prints_version_then_nothing_changed(
    proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write_prompt(tmp_path)
    assert cli(
        capsys, "prompt", "save", "--project", proj, "triage", "--from", f, "-m", "first"
    ) == (0, "Saved triage version 1.\n", "")
    code, out, _ = cli(capsys, "prompt", "save", "--project", proj, "triage", "--from", f)
    assert code == 0 and out.startswith("Nothing changed: triage version 1")
    f2 = write_prompt(tmp_path, "p2.yaml")
    Path(f2).write_text(Path(f2).read_text().replace("0.2", "0.7"), encoding="utf-8")
    code, out, _ = cli(capsys, "prompt", "save", "--project", proj, "triage", "--from", f2)
    assert (code, out) == (0, "Saved triage version 2.\n")


def test_log_json_has_the_documented_keys(
    proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(
        capsys,
        "prompt",
        "save",
        "--project",
        proj,
        "triage",
        "--from",
        write_prompt(tmp_path),
        "--message",
        "first",
    )
    cli(capsys, "prompt", "label", "--project", proj, "triage", "1", "production")
    code, out, _ = cli(capsys, "prompt", "log", "--project", proj, "triage", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [set(r) for r in rows] == [{"version", "created_at", "message", "labels", "hash"}]
    assert rows[0]["version"] == 1 and rows[0]["labels"] == ["production"]
    assert rows[0]["message"] == "first" and len(rows[0]["hash"]) == 64
    code, out, _ = cli(capsys, "prompt", "log", "--project", proj, "triage")
    assert code == 0 and out.startswith("v1 [production]") and "    first" in out


def test_list_label_labels_diff_restore(
    proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(capsys, "prompt", "save", "--project", proj, "triage", "--from", write_prompt(tmp_path))
    cli(
        capsys,
        "prompt",
        "save",
        "--project",
        proj,
        "triage",
        "--from",
        write_prompt(tmp_path, "b.json", params={"temperature": 0.7, "seed": 7}),
    )
    assert (
        cli(capsys, "prompt", "label", "--project", proj, "triage", "1", "production")[1]
        == "Labelled triage version 1 as production.\n"
    )
    assert (
        cli(capsys, "prompt", "label", "--project", proj, "triage", "2", "production")[1]
        == "Moved production of triage from version 1 to version 2.\n"
    )
    code, out, _ = cli(capsys, "prompt", "list", "--project", proj, "--json")
    assert json.loads(out) == [
        {
            "name": "triage",
            "description": "Routes tickets",
            "latest_version": 2,
            "labels": {"production": 2},
            "updated_at": json.loads(out)[0]["updated_at"],
            "variables": ["text"],
        }
    ]
    code, out, _ = cli(capsys, "prompt", "list", "--project", proj)
    assert code == 0 and out.startswith("triage  v2") and "[production→v2]" in out
    code, out, _ = cli(capsys, "prompt", "diff", "--project", proj, "triage", "1", "production")
    assert code == 0
    assert "  temperature 0.2 → 0.7" in out.splitlines() and "  seed added: 7" in out
    assert (
        cli(capsys, "prompt", "diff", "--project", proj, "triage", "1", "2", "--exit-code")[0] == 1
    )
    assert cli(capsys, "prompt", "diff", "--project", proj, "triage", "2", "v2", "--exit-code")[
        0:2
    ] == (0, "triage: 2 → v2\nNo differences.\n")
    code, out, _ = cli(capsys, "prompt", "restore", "--project", proj, "triage", "1")
    assert (code, out) == (0, "Restored triage version 1 as version 3.\n")
    code, out, _ = cli(capsys, "prompt", "labels", "--project", proj, "triage", "--json")
    data = json.loads(out)
    assert data["labels"] == {"production": 2}
    assert [(m["from_version"], m["to_version"]) for m in data["history"]] == [(1, 2), (None, 1)]
    assert data["history"][0]["actor"] == "tester"


def test_export_round_trips_through_save(
    proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(capsys, "prompt", "save", "--project", proj, "triage", "--from", write_prompt(tmp_path))
    cli(capsys, "prompt", "label", "--project", proj, "triage", "1", "staging")
    code, out, _ = cli(capsys, "prompt", "export", "--project", proj, "triage@staging")
    assert code == 0 and json.loads(out) == PROMPT
    yaml_path = tmp_path / "out.yaml"
    code, _, err = cli(
        capsys, "prompt", "export", "--project", proj, "triage@1", "-o", str(yaml_path)
    )
    assert code == 0 and "Wrote triage version 1" in err
    text = yaml_path.read_text(encoding="utf-8")
    assert "content: |-\n      Sort the ticket.\n      Answer with one word.\n" in text
    code, out, _ = cli(
        capsys, "prompt", "save", "--project", proj, "triage", "--from", str(yaml_path)
    )
    assert code == 0 and out.startswith("Nothing changed")
    code, out, _ = cli(capsys, "prompt", "export", "--project", proj, "triage", "--format", "yaml")
    assert out == text


def test_render_with_vars_and_warnings(
    proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(capsys, "prompt", "save", "--project", proj, "triage", "--from", write_prompt(tmp_path))
    code, out, err = cli(
        capsys,
        "prompt",
        "render",
        "--project",
        proj,
        "triage",
        "--var",
        "text=My card is lost",
        "--var",
        "extra=1",
        "--json",
    )
    assert code == 0
    assert json.loads(out)[1] == {"role": "user", "content": "My card is lost"}
    assert "Variable `extra` was given but no message uses it." in err
    code, out, err = cli(capsys, "prompt", "render", "--project", proj, "triage@1")
    assert code == 2 and out == ""
    assert err == "studio: No value for variable `text` (used in messages[1] (user)).\n"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["prompt", "log", "--project", "{proj}", "nope"], "There is no prompt named `nope`"),
        (["prompt", "label", "--project", "{proj}", "triage", "1", "latest"], "`latest`"),
        (["prompt", "label", "--project", "{proj}", "triage", "7", "prod"], "no version 7"),
        (["prompt", "export", "--project", "{proj}", "triage", "-o", "x.txt"], "x.txt"),
        (["prompt", "render", "--project", "{proj}", "triage", "--var", "novalue"], "--var"),
        (["prompt", "diff", "--project", "{proj}", "triage", "1", "staging"], "no label"),
        (["prompt", "log", "--project", "{missing}", "triage"], "does not exist"),
        (
            ["prompt", "save", "--project", "{proj}", "x", "--from", "{bad_schema}"],
            "response_schema",
        ),
        (
            ["prompt", "save", "--project", "{proj}", "x", "--from", "{bad_braces}"],
            "messages[1] (user), line 1, column 1",
        ),
        (["prompt", "save", "--project", "{proj}", "x"], "--from"),
        (["prompt"], "subcommand"),
    ],
)
def test_bad_input_exits_2_with_a_sentence(
    proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    run_cli(["prompt", "save", "--project", proj, "triage", "--from", write_prompt(tmp_path)])
    capsys.readouterr()
    fills = {
        "{proj}": proj,
        "{missing}": str(tmp_path / "missing.studio"),
        "{bad_schema}": write_prompt(
            tmp_path, "s.json", response_schema={"type": "object", "required": "x"}
        ),
        "{bad_braces}": write_prompt(
            tmp_path,
            "b.json",
            messages=[{"role": "system", "content": "ok"}, {"role": "user", "content": "{{text"}],
        ),
    }
    argv = [fills.get(a, a) for a in argv]
    try:
        code = run_cli(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code  # type: ignore[assignment]
    _out, err = capsys.readouterr()
    assert code == 2
    assert words in err
    assert "Traceback" not in err


def _run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_subprocess_save_and_bad_file(proj: str, tmp_path: Path) -> None:
    good = write_prompt(tmp_path)
    done = _run("prompt", "save", "--project", proj, "triage", "--from", good)
    assert (done.returncode, done.stdout) == (0, "Saved triage version 1.\n")
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",\n "messages": [\n', encoding="utf-8")
    done = _run("prompt", "save", "--project", proj, "triage", "--from", str(bad))
    assert done.returncode == 2
    assert str(bad) in done.stderr and "line 3" in done.stderr
    assert "Traceback" not in done.stderr


def test_subprocess_corrupt_project(tmp_path: Path) -> None:
    junk = tmp_path / "junk.studio"
    junk.write_bytes(b"this is not a database at all" * 100)
    done = _run("prompt", "list", "--project", str(junk))
    assert done.returncode == 2
    assert (
        done.stderr == f"studio: {junk} is not a studio project (it is not an SQLite database).\n"
    )
