"""``studio decide``: JSON output, reports written, answers from file or project, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from helpers.decide_project import BuiltProject

from studio.cli.main import run_cli
from studio.core.db.project import new_project, open_project
from studio.core.decide.store import save_answers
from studio.core.demo.decision import DEMO_ANSWERS, demo_answers

TODAY = ["--today", "2026-11-22"]


@pytest.fixture
def project(tmp_path: Path, decision_template: BuiltProject) -> Path:
    dest = tmp_path / "team.studio"
    shutil.copyfile(decision_template.path, dest)
    return dest


@pytest.fixture
def answers_file(tmp_path: Path) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(DEMO_ANSWERS), encoding="utf-8")
    return path


class _Balance(HTMLParser):
    """Checks that every non-void element is closed in order (a well-formed page)."""

    VOID: ClassVar[set[str]] = {
        "meta",
        "br",
        "hr",
        "img",
        "input",
        "link",
        "col",
        "area",
        "base",
        "wbr",
        "source",
    }

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> does not close <{self.stack[-1] if self.stack else ''}>")
        else:
            self.stack.pop()


def test_json_has_the_documented_keys(
    project: Path, answers_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(
        ["decide", "--project", str(project), "--answers", str(answers_file), "--json", *TODAY]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert {
        "recommendation",
        "reasons",
        "evidence",
        "what_would_change",
        "cost",
        "warnings",
        "answers",
    } <= set(data)
    assert data["recommendation"] == "collect_more_data"
    assert data["today"] == "2026-11-22"
    assert all({"text", "source", "field", "value"} <= set(r) for r in data["reasons"])
    ev = data["evidence"]
    assert ev["best_prompt"] == "banking-intent@2" and ev["candidate_model"] == "gpt-4.1-mini"
    assert ev["approved_examples"] == 123 and ev["test_set_size"] == 60
    assert ev["provenance"]["best_score"].startswith("eval run #2")
    assert data["answers"]["calls_per_day"] == 8000


def test_html_report_is_written_and_well_formed(
    project: Path, answers_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "report.html"
    code = run_cli(
        [
            "decide",
            "--project",
            str(project),
            "--answers",
            str(answers_file),
            "-o",
            str(out_file),
            *TODAY,
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"Wrote the HTML report to {out_file}" in captured.err
    assert captured.out == ""
    page = out_file.read_text(encoding="utf-8")
    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert {"html", "head", "body", "svg", "table"} <= parser.tags
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "Collect more data first" in page
    assert "banking-intent@2" in page


def test_markdown_report_and_stdout_default(
    project: Path, answers_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    md = tmp_path / "report.md"
    assert (
        run_cli(
            [
                "decide",
                "--project",
                str(project),
                "--answers",
                str(answers_file),
                "-o",
                str(md),
                "--json",
                *TODAY,
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert json.loads(captured.out)["recommendation"] == "collect_more_data"
    assert md.read_text(encoding="utf-8").startswith("#")
    # neither --json nor -o: the Markdown report on stdout
    assert (
        run_cli(["decide", "--project", str(project), "--answers", str(answers_file), *TODAY]) == 0
    )
    assert "banking-intent@2" in capsys.readouterr().out


def test_answers_saved_in_the_project_are_used(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(["decide", "--project", str(project), "--json", *TODAY])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{project} has no saved decision answers" in err and "--answers" in err
    with open_project(project) as p:
        save_answers(p, demo_answers())
    assert run_cli(["decide", "--project", str(project), "--json", *TODAY]) == 0
    assert json.loads(capsys.readouterr().out)["answers"]["calls_per_day"] == 8000


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"quality_target": 1.5}', "field 'quality_target' must be a number from 0 to 1"),
        ('{"must_change": ["faster"]}', "field 'must_change'"),
        ('{"calls_per_dy": 8000}', "unknown field 'calls_per_dy'"),
        ('{"calls_per_day": 8000,\n "residency": }', "is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_answers_file_names_the_file_and_field(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    expected: str,
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    code = run_cli(["decide", "--project", str(project), "--answers", str(bad), *TODAY])
    err = capsys.readouterr().err
    assert code == 2
    assert str(bad) in err and expected in err
    assert "Traceback" not in err


def test_bad_inputs_exit_2_with_a_sentence(
    project: Path, answers_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (["--answers", str(tmp_path / "missing.json")], "does not exist"),
        (["--answers", str(answers_file), "-o", str(tmp_path / "r.pdf")], "name it .html"),
        (["--answers", str(answers_file), "--today", "22/11/2026"], "--today must be a date"),
        (["--answers", str(answers_file), "--dataset", "nope"], "no dataset named 'nope'"),
        (["--answers", str(answers_file), "-o", str(tmp_path / "no" / "r.html")], "does not exist"),
    ]
    for extra, expected in cases:
        code = run_cli(["decide", "--project", str(project), *extra])
        err = capsys.readouterr().err
        assert code == 2, extra
        assert expected in err, (extra, err)
        assert "Traceback" not in err
    code = run_cli(
        ["decide", "--project", str(tmp_path / "nope.studio"), "--answers", str(answers_file)]
    )
    assert code == 2
    assert "nope.studio does not exist" in capsys.readouterr().err


def test_empty_project_still_decides(
    tmp_path: Path, answers_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.studio"
    new_project(path).close()
    assert (
        run_cli(
            ["decide", "--project", str(path), "--answers", str(answers_file), "--json", *TODAY]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["evidence"]["test_set_size"] is None
    assert any("No test split" in w for w in data["warnings"])


def test_entry_point_runs_decide(project: Path, answers_file: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "decide",
            "--project",
            str(project),
            "--answers",
            str(answers_file),
            "--json",
            *TODAY,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["recommendation"] == "collect_more_data"
