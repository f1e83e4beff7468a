"""``studio dataset export`` on a prompt with a response_schema (a real subprocess).

The prompt wants ``{"intent": enum, "confidence": number}``; the dataset's ideal outputs
are bare labels. Without a template: exit 2, rows named, nothing written. A template
that breaks the schema: refused before writing. A fitting template: every line of the
files validates (checked here with jsonschema), and the output says the studio
validated the files against the schema itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from helpers.export_project import (
    INTENT_SCHEMA,
    INTENT_TEXTS,
    INTENTS_DATASET,
)

REF = "intents@1"
GOOD = '{"intent": "{{label}}", "confidence": 0.9}'


@pytest.fixture(scope="module")
def proj(tmp_path_factory: pytest.TempPathFactory, schema_template: Path) -> str:
    """Copied once: the exports only read the project."""
    path = tmp_path_factory.mktemp("export_schema_cli") / "intents.studio"
    shutil.copyfile(schema_template, path)
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
            INTENTS_DATASET,
            "--target",
            "openai-chat",
            "--prompt",
            REF,
            "-o",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def test_without_a_template_exit_2_names_rows_and_the_way_out(proj: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _export(proj, out)
    assert done.returncode == 2 and done.stdout == ""
    err = done.stderr
    assert "Traceback" not in err
    assert "nothing was written" in err and "15 of 15 records" in err
    for i in range(1, 6):  # the first five rows, by example id and line
        assert f"example {i} (train.jsonl line {i})" in err
    assert "(and 10 more)" in err
    assert '--output-template \'{"intent": "{{label}}", "confidence": 1.0}\'' in err
    assert not out.exists()
    # --json: the same refusal, machine-readable
    done = _export(proj, out, "--json")
    assert done.returncode == 2
    data = json.loads(done.stdout)
    assert data["status"] == "refused" and data["records"] == 15
    assert [(m["example_id"], m["file"], m["line"]) for m in data["misfits"][:2]] == [
        (1, "train.jsonl", 1),
        (2, "train.jsonl", 2),
    ]
    assert not out.exists()


def test_a_template_that_breaks_the_schema_is_refused_before_writing(
    proj: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = _export(proj, out, "--output-template", '{"intent": "{{label}}"}')
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "does not fit the response_schema of intents@1" in done.stderr
    assert "'confidence' is a required property" in done.stderr
    assert not out.exists()


def test_a_fitting_template_writes_valid_lines_and_reports_the_check(
    proj: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = _export(proj, out, "--output-template", GOOD)
    assert done.returncode == 0, done.stderr
    assert (
        "Validated the written files against the response_schema of intents@1 by "
        "itself: every assistant turn fits"
    ) in done.stdout
    assert "train.jsonl: 12 lines, 0 schema errors" in done.stdout
    lines = (out / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(INTENT_TEXTS)
    for line, (_text, label) in zip(lines, INTENT_TEXTS, strict=True):
        record = json.loads(line)
        assistant = [m for m in record["messages"] if m["role"] == "assistant"]
        for m in assistant:  # every assistant turn, checked independently
            jsonschema.validate(json.loads(m["content"]), INTENT_SCHEMA)
        assert json.loads(assistant[-1]["content"]) == {"intent": label, "confidence": 0.9}
    for line in (out / "validation.jsonl").read_text(encoding="utf-8").splitlines():
        jsonschema.validate(json.loads(json.loads(line)["messages"][-1]["content"]), INTENT_SCHEMA)
    # --json: the manifest's schema_check
    done = _export(proj, tmp_path / "j", "--output-template", GOOD, "--json")
    assert done.returncode == 0
    check = json.loads(done.stdout)["schema_check"]
    assert check["valid"] is True and check["output_template"] == GOOD
    assert check["validated_after_writing"]["train.jsonl"] == {"lines": 12, "schema_errors": 0}
