"""``studio dataset undo`` with two labellers (ISSUE-14 §3), each command a fresh
``python -m studio``, on a project file and on the same project on PostgreSQL: an undo that
another labeller's later edit is in the way of exits 2 naming them (nothing changed),
``--with-later`` undoes both, a second undo of it says "already undone", and an edit on the
version from before the undo is refused as stale, naming who undid."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BANKING77
from helpers.backends import BACKENDS, on_backend
from helpers.labeller_cli import REPO, history, ok, refused, rows


@pytest.fixture(params=BACKENDS)
def team(request: pytest.FixtureRequest, tmp_path: Path, proj: Path) -> tuple[Path, str]:
    """12 unlabelled banking77 queries (dataset ``q``, ids 1-12), on a file or PostgreSQL."""
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as fh:
        texts = [r["text"] for r in list(csv.DictReader(fh))[:12]]
    src = tmp_path / "q.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([t] for t in texts)
    ok(tmp_path, "dataset", "import", "--project", str(proj), str(src), "--name", "q")
    return tmp_path, str(on_backend(request, proj, request.param))


def test_undo_with_another_labellers_later_edit_exits_2_naming_them(team) -> None:
    home, proj = team
    p = ("--project", proj, "q")
    ok(home, "dataset", "label", *p, "--ids", "1-10", "--label", "card_arrival", user="alice")
    ok(home, "dataset", "label", *p, "--ids", "5", "--label", "card_linking", user="bob")
    bobs, alices = history(home, proj)[:2]
    assert (alices["actor"], bobs["actor"]) == ("alice", "bob")
    before = rows(home, proj)
    expected = {i: ("card_arrival", 2) for i in range(1, 11)} | {5: ("card_linking", 3)}
    assert before == expected | {11: (None, 1), 12: (None, 1)}

    err = refused(home, "dataset", "undo", *p, "--op", str(alices["id"]), user="alice")
    assert f"{bobs['id']} ({bobs['description']}) by bob at {bobs['at'][:19]} UTC" in err
    assert "on example 5" in err and "--with-later" in err
    assert rows(home, proj) == before  # nothing changed

    out = ok(
        home,
        "dataset",
        "undo",
        *p,
        "--op",
        str(alices["id"]),
        "--with-later",
        "--json",
        user="alice",
    )
    assert [d["id"] for d in json.loads(out)] == [bobs["id"], alices["id"]]
    # row 5: bob's undone (v4), then alice's (v5); rows 1-4, 6-10: alice's undone (v3)
    expected = {i: (None, 3) for i in range(1, 11)} | {5: (None, 5)}
    assert rows(home, proj) == expected | {11: (None, 1), 12: (None, 1)}

    err = refused(home, "dataset", "undo", *p, "--op", str(alices["id"]), user="bob")
    assert f"Operation {alices['id']}" in err and "already undone" in err


def test_an_edit_on_the_version_before_an_undo_exits_2_naming_the_undoer(team) -> None:
    home, proj = team
    p = ("--project", proj, "q")
    ok(home, "dataset", "label", *p, "--ids", "1-10", "--label", "card_arrival", user="alice")
    assert rows(home, proj)[5] == ("card_arrival", 2)  # bob opens row 5 at version 2
    ok(home, "dataset", "undo", *p, user="alice")
    err = refused(
        home,
        "dataset",
        "label",
        *p,
        "--ids",
        "5",
        "--label",
        "card_linking",
        "--expect-version",
        "2",
        user="bob",
    )
    assert "changed by alice at 20" in err
    assert rows(home, proj) == {i: (None, 3) for i in range(1, 11)} | {11: (None, 1), 12: (None, 1)}


def test_two_processes_undoing_one_operation_at_once_one_wins(team) -> None:
    # alice and bob both run `dataset undo --op N` at the same time (two processes on
    # the same file or database): exactly one undoes, the other exits 2 "already undone"
    home, proj = team
    p = ("--project", proj, "q")
    ok(home, "dataset", "label", *p, "--ids", "1-10", "--label", "card_arrival", user="alice")
    op = history(home, proj)[0]["id"]
    env = {
        **os.environ,
        "STUDIO_HOME": str(home),
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    argv = [sys.executable, "-m", "studio", "dataset", "undo", *p, "--op", str(op)]
    procs = [
        subprocess.Popen(
            argv,
            env={**env, "STUDIO_USER": who},
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("alice", "bob")
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    results = [(proc.returncode, out, err) for proc, (out, err) in zip(procs, outputs, strict=True)]
    assert sorted(code for code, _, _ in results) == [0, 2], results
    [(_, _, err)] = [r for r in results if r[0] == 2]
    assert "already undone" in err and "Traceback" not in err
    [(_, out, _)] = [r for r in results if r[0] == 0]
    assert f"Undone operation {op}" in out
    # one undo: import v1, label v2, undo v3
    assert rows(home, proj) == {i: (None, 3) for i in range(1, 11)} | {11: (None, 1), 12: (None, 1)}
    assert history(home, proj)[0]["undone"] is True
