"""Curation from the command line alone: rows/show/label/status/tag/history/undo, the
whole import → label → approve → split → export → validate flow on a banking77 sample,
undo by operation, and the start-up, unknown-command and log-file behaviour.

Every command runs as ``sys.executable -m studio`` in a fresh process. Expected counts
come from reading the sample CSV here, never from the studio's own output.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INTENTS = ("card_arrival", "card_linking", "exchange_rate")
PER_INTENT = 30
UNLABELLED = 6
SECRET = "sk-test" + "0123456789abcdefghijklmnop"


def studio(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STUDIO_HOME": str(home),
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    return subprocess.run(
        [sys.executable, "-m", "studio", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=home,
    )


def ok(home: Path, *argv: str) -> str:
    r = studio(home, *argv)
    assert r.returncode == 0, (argv, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r.stdout


@pytest.fixture
def sample(tmp_path: Path, banking77_dir: Path) -> tuple[Path, list[tuple[str, str]]]:
    """30 train queries for each of 3 intents, then 6 more card_arrival ones unlabelled."""
    taken = dict.fromkeys(INTENTS, 0)
    rows: list[tuple[str, str]] = []
    extra: list[tuple[str, str]] = []
    seen: set[str] = set()
    with (banking77_dir / "train.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            key = " ".join(r["text"].lower().split())
            cat = r["category"]
            if cat not in taken or key in seen:
                continue
            if taken[cat] < PER_INTENT:
                taken[cat] += 1
                rows.append((r["text"], cat))
                seen.add(key)
            elif cat == "card_arrival" and len(extra) < UNLABELLED:
                extra.append((r["text"], ""))
                seen.add(key)
    assert len(rows) == PER_INTENT * len(INTENTS) and len(extra) == UNLABELLED
    path = tmp_path / "sample.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category"])
        w.writerows(rows + extra)
    return path, rows + extra


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


def _prompt(home: Path) -> Path:
    path = home / "intent.json"
    path.write_text(
        json.dumps(
            {
                "name": "intent",
                "description": "banking intent",
                "messages": [
                    {"role": "system", "content": "Name the intent of the query."},
                    {"role": "user", "content": "{{text}}"},
                ],
                "model": "gpt-4o-mini",
                "params": {},
                "response_schema": None,
                "tools": None,
            }
        ),
        encoding="utf-8",
    )
    return path


def test_cli_only_flow_import_label_approve_split_export_validate(
    home: Path, sample: tuple[Path, list[tuple[str, str]]]
) -> None:
    path, rows = sample
    proj = str(home / "p.studio")
    ok(home, "new", proj)
    ok(home, "prompt", "save", "--project", proj, "intent", "--from", str(_prompt(home)))

    out = json.loads(
        ok(
            home,
            "dataset",
            "import",
            "--project",
            proj,
            str(path),
            "--name",
            "b77",
            "--label-field",
            "category",
            "--status",
            "needs_review",
            "--json",
        )
    )
    assert out == {"imported": len(rows), "skipped_duplicates": 0, "rejected": []}

    # The unlabelled rows, found with --where label= (no label)
    listed = json.loads(
        ok(home, "dataset", "rows", "--project", proj, "b77", "--where", "label=", "--json")
    )
    assert sorted(r["input"] for r in listed) == sorted(t for t, c in rows if not c)
    assert {r["status"] for r in listed} == {"needs_review"}

    # A text search counts what a plain substring search of the CSV counts
    word = "card"
    expected = sum(1 for t, _ in rows if word in t.lower())
    found = json.loads(
        ok(home, "dataset", "rows", "--project", proj, "b77", "--where", f"text={word}", "--json")
    )
    assert len(found) == expected

    # Label them: exactly the unlabelled rows change
    out = json.loads(
        ok(
            home,
            "dataset",
            "label",
            "--project",
            proj,
            "b77",
            "--label",
            "card_arrival",
            "--where",
            "label=",
            "--json",
        )
    )
    assert out["selected"] == UNLABELLED and out["changed"] == UNLABELLED
    human = ok(
        home,
        "dataset",
        "label",
        "--project",
        proj,
        "b77",
        "--label",
        "card_arrival",
        "--where",
        "label=",
    )
    assert "nothing changed" in human  # none left without a label

    # Reject one row by id, approve the rest still waiting for review
    first_id = listed[0]["id"]
    out = json.loads(
        ok(
            home,
            "dataset",
            "status",
            "--project",
            proj,
            "b77",
            "--reject",
            "--ids",
            str(first_id),
            "--json",
        )
    )
    assert out["changed"] == 1
    out = json.loads(
        ok(
            home,
            "dataset",
            "status",
            "--project",
            proj,
            "b77",
            "--approve",
            "--where",
            "status=needs_review",
            "--json",
        )
    )
    assert out["changed"] == len(rows) - 1
    human = ok(
        home,
        "dataset",
        "tag",
        "--project",
        proj,
        "b77",
        "--add",
        "checked",
        "--where",
        "label=exchange_rate",
    )
    assert f"{PER_INTENT} examples changed" in human

    split = json.loads(
        ok(
            home,
            "dataset",
            "split",
            "--project",
            proj,
            "b77",
            "--test",
            "0.2",
            "--seed",
            "3",
            "--json",
        )
    )
    assert split["train"] + split["test"] == len(rows) - 1  # a rejected row gets no split
    export_dir = home / "out"
    manifest = json.loads(
        ok(
            home,
            "dataset",
            "export",
            "--project",
            proj,
            "b77",
            "--target",
            "openai-chat",
            "--prompt",
            "intent@1",
            "-o",
            str(export_dir),
            "--json",
        )
    )
    lines = (export_dir / "train.jsonl").read_text(encoding="utf-8").splitlines()
    train = json.loads(
        ok(
            home,
            "dataset",
            "rows",
            "--project",
            proj,
            "b77",
            "--where",
            "split=train",
            "--where",
            "status=approved",
            "--json",
        )
    )
    assert len(lines) == len(train) == manifest["counts"]["train"]
    assert {json.loads(ln)["messages"][-1]["content"] for ln in lines} <= set(INTENTS)
    report = json.loads(ok(home, "validate", str(export_dir / "train.jsonl"), "--json"))
    assert report["valid"] is True and report["examples"] == len(lines)

    history = json.loads(ok(home, "dataset", "history", "--project", proj, "b77", "--json"))
    assert [h["kind"] for h in history] == [
        "split",
        "add_tag",
        "set_status",
        "set_status",
        "set_label",
        "import",
    ]
    assert history[-1]["description"] == f"Import {len(rows)} examples from sample.csv"
    assert history[-2]["description"] == f'Set label "card_arrival" on {UNLABELLED} examples'

    shown = ok(home, "dataset", "show", "--project", proj, "b77", str(first_id))
    assert "status: rejected" in shown and "label: card_arrival" in shown


def test_cli_set_label_then_import_then_undo_keeps_the_import(home: Path, tmp_path: Path) -> None:
    proj = str(home / "p.studio")
    ok(home, "new", proj)
    a = tmp_path / "a.csv"
    a.write_text("text,category\n" + "".join(f"alpha {i},x\n" for i in range(5)))
    b = tmp_path / "b.csv"
    b.write_text("text,category\n" + "".join(f"beta {i},y\n" for i in range(3)))
    ok(home, "dataset", "import", "--project", proj, str(a), "--name", "d")
    ok(home, "dataset", "label", "--project", proj, "d", "--label", "z", "--ids", "1-2")
    ok(home, "dataset", "import", "--project", proj, str(b), "--name", "d")
    history = json.loads(ok(home, "dataset", "history", "--project", proj, "d", "--json"))
    label_op = next(h["id"] for h in history if h["kind"] == "set_label")

    # Undo the label by id: the later import stays
    out = json.loads(
        ok(home, "dataset", "undo", "--project", proj, "d", "--op", str(label_op), "--json")
    )
    assert [o["id"] for o in out] == [label_op]
    rows = json.loads(ok(home, "dataset", "rows", "--project", proj, "d", "--json"))
    assert len(rows) == 8
    assert {r["id"]: r["label"] for r in rows if r["id"] <= 2} == {1: "x", 2: "x"}
    assert sum(1 for r in rows if r["label"] == "y") == 3

    # Dependent operations: undoing the first import is refused, naming the later label op
    ok(home, "dataset", "tag", "--project", proj, "d", "--add", "t", "--ids", "1")
    history = json.loads(ok(home, "dataset", "history", "--project", proj, "d", "--json"))
    tag_op = history[0]["id"]
    first_import = history[-1]["id"]
    r = studio(home, "dataset", "undo", "--project", proj, "d", "--op", str(first_import))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"Cannot undo operation {first_import}" in r.stderr
    assert f"{tag_op} (Add tag" in r.stderr
    assert len(json.loads(ok(home, "dataset", "rows", "--project", proj, "d", "--json"))) == 8
    out = json.loads(
        ok(
            home,
            "dataset",
            "undo",
            "--project",
            proj,
            "d",
            "--op",
            str(first_import),
            "--with-later",
            "--json",
        )
    )
    assert [o["id"] for o in out] == [tag_op, first_import]
    rows = json.loads(ok(home, "dataset", "rows", "--project", proj, "d", "--json"))
    assert sorted(r["input"] for r in rows) == [f"beta {i}" for i in range(3)]


def test_cli_selection_errors(home: Path, tmp_path: Path) -> None:
    proj = str(home / "p.studio")
    ok(home, "new", proj)
    a = tmp_path / "a.csv"
    a.write_text("text,category\none,x\ntwo,y\n")
    ok(home, "dataset", "import", "--project", proj, str(a), "--name", "d")
    cases = [
        (("dataset", "label", "--project", proj, "d", "--label", "q"), "--ids, --where"),
        (("dataset", "rows", "--project", proj, "d", "--where", "colour=red"), "KEY one of"),
        (("dataset", "rows", "--project", proj, "d", "--where", "status=done"), "not a status"),
        (("dataset", "status", "--project", proj, "d", "--ids", "1-x", "--approve"), "--ids"),
        (("dataset", "rows", "--project", proj, "nope"), 'no dataset with the name "nope"'),
        (("dataset", "undo", "--project", proj, "d", "--op", "99"), "Operation 99"),
    ]
    for argv, words in cases:
        r = studio(home, *argv)
        assert r.returncode == 2, argv
        assert words in r.stderr and "Traceback" not in r.stderr, (argv, r.stderr)
    r = studio(home, "dataset", "tag", "--project", proj, "d", "--add", "t", "--ids", "1,99")
    assert r.returncode == 0 and "1 example changed" in r.stdout
    assert "1 of the --ids are not examples of d: 99" in r.stderr
    help_text = ok(home, "dataset", "label", "--help")
    for key in ("label=L", "split=S", "status=S", "tag=T", "source=F", "text=WORDS"):
        assert key in help_text


def test_unknown_command_suggests_and_exits_2(home: Path) -> None:
    r = studio(home, "expotr")
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == "studio: unknown command 'expotr' (did you mean 'export'?)"
    assert "studio dataset export" in r.stderr
    r = studio(home, "datset", "list")
    assert r.returncode == 2 and "did you mean 'dataset'?" in r.stderr
    r = studio(home, "dataset", "histroy")
    assert r.returncode == 2 and "did you mean 'history'?" in r.stderr
    assert "undo" in ok(home, "help", "dataset")  # `studio help X` = `studio X --help`


def test_version_and_help_import_no_command_module(home: Path) -> None:
    for flag in ("--version", "--help"):
        r = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "studio", flag],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=home,
            env={**os.environ, "STUDIO_HOME": str(home), "PYTHONPATH": str(REPO)},
        )
        assert r.returncode == 0
        modules = {ln.split("|")[-1].strip() for ln in r.stderr.splitlines() if "|" in ln}
        loaded = {m for m in modules if m.startswith(("studio.cli.", "sqlalchemy", "PySide6"))}
        assert loaded == {"studio.cli.main"}, loaded
    assert ok(home, "--version").startswith("studio ")


def test_log_file_is_written_rotated_and_without_secrets(home: Path, tmp_path: Path) -> None:
    proj = str(home / "p.studio")
    ok(home, "new", proj)
    # A key on the command line (as a mistaken dataset name) must not reach the log
    r = studio(home, "dataset", "rows", "--project", proj, SECRET)
    assert r.returncode == 2
    log = home / "log" / "cli.log"
    text = log.read_text(encoding="utf-8")
    assert "studio dataset rows" in text and "exit 2" in text
    assert SECRET not in text and SECRET[10:] not in text
    code = (
        "import logging, logging.handlers\n"
        "from studio.core.logfile import setup_cli_logging\n"
        "p = setup_cli_logging()\n"
        "h = [h for h in logging.getLogger('studio').handlers\n"
        "     if isinstance(h, logging.handlers.RotatingFileHandler)][0]\n"
        "print(p, h.maxBytes, h.backupCount)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=home,
        env={**os.environ, "STUDIO_HOME": str(home), "PYTHONPATH": str(REPO)},
    )
    assert r.stdout.split() == [str(log), "1000000", "3"]


def test_the_entry_point_knows_every_command_the_cli_has() -> None:
    # studio/__main__.py keeps its own copy of the names so that the GUI never imports
    # the CLI: a command missing there would open the app instead of running.
    from studio.__main__ import CLI_COMMANDS
    from studio.cli.main import COMMANDS

    assert set(CLI_COMMANDS) == set(COMMANDS)
