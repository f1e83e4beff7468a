"""``studio dataset undo`` is personal (ISSUE-14 §3): each command a fresh
``python -m studio`` as labeller alice, bob or carol (STUDIO_USER), on a project file and
on the same project on PostgreSQL. Rows are read back with ``dataset rows --json`` and
compared with hand-computed (label, version): the import gives version 1, every change
or undo of a row bumps it by one."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import BANKING77
from helpers.backends import BACKENDS, on_backend
from helpers.labeller_cli import history, ok, rows, studio


@pytest.fixture(params=BACKENDS)
def team(request: pytest.FixtureRequest, tmp_path: Path, proj: Path) -> tuple[Path, str]:
    """12 unlabelled banking77 queries (dataset ``q``, ids 1-12) imported by alice; alice
    labels rows 1-5 card_arrival, then bob rows 6-10 card_linking."""
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as fh:
        texts = [r["text"] for r in list(csv.DictReader(fh))[:12]]
    src = tmp_path / "q.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([t] for t in texts)
    ok(tmp_path, "dataset", "import", "--project", str(proj), str(src), "--name", "q", user="alice")
    where = str(on_backend(request, proj, request.param))
    p = ("--project", where, "q")
    ok(tmp_path, "dataset", "label", *p, "--ids", "1-5", "--label", "card_arrival", user="alice")
    ok(tmp_path, "dataset", "label", *p, "--ids", "6-10", "--label", "card_linking", user="bob")
    return tmp_path, where


LABELLED = (
    {i: ("card_arrival", 2) for i in range(1, 6)}
    | {i: ("card_linking", 2) for i in range(6, 11)}
    | {11: (None, 1), 12: (None, 1)}
)


def test_undo_undoes_my_own_newest_operation_not_the_colleagues(team) -> None:
    home, proj = team
    p = ("--project", proj, "q")
    bobs, alices = history(home, proj)[:2]
    assert (alices["actor"], bobs["actor"]) == ("alice", "bob")
    assert rows(home, proj) == LABELLED
    out = json.loads(ok(home, "dataset", "undo", *p, "--json", user="alice"))
    assert out == [
        {
            "id": alices["id"],
            "description": alices["description"],
            "count": 5,
            "undone": True,
            "actor": "alice",
        }
    ]
    # rows 1-5 back (label v2, undo v3); bob's rows 6-10 keep his labels
    assert rows(home, proj) == LABELLED | {i: (None, 3) for i in range(1, 6)}
    # bob's undo is his; alice then labels row 11: bob's undone operation stays his to redo
    out = json.loads(ok(home, "dataset", "undo", *p, "--json", user="bob"))
    assert [(d["id"], d["actor"]) for d in out] == [(bobs["id"], "bob")]
    ok(home, "dataset", "label", *p, "--ids", "11", "--label", "card_arrival", user="alice")
    ops = {o["id"]: (o["actor"], o["undone"]) for o in history(home, proj)}
    assert ops[bobs["id"]] == ("bob", True)  # not discarded by alice's new operation
    assert alices["id"] not in ops  # alice's own undone one went, as before


def test_nothing_of_mine_exits_2_naming_the_newest_operation_and_op(team) -> None:
    home, proj = team
    p = ("--project", proj, "q")
    bobs = history(home, proj)[0]
    r = studio(home, "dataset", "undo", *p, user="carol")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert (
        f"Nothing of yours to undo in q (newest operation {bobs['id']} by bob at "
        f"{bobs['at'][:19]} UTC: undo it with --op {bobs['id']})" in r.stderr
    )
    assert rows(home, proj) == LABELLED  # nothing changed
    # named, it is undone (the explicit way), and --json says whose it was
    out = json.loads(
        ok(home, "dataset", "undo", *p, "--op", str(bobs["id"]), "--json", user="carol")
    )
    assert [(d["id"], d["actor"]) for d in out] == [(bobs["id"], "bob")]
    assert rows(home, proj) == LABELLED | {i: (None, 3) for i in range(6, 11)}


def test_nothing_at_all_to_undo_is_still_exit_0(tmp_path: Path, proj: Path) -> None:
    src = tmp_path / "q.csv"
    src.write_text("text\nwhere is my card\n", encoding="utf-8")
    ok(tmp_path, "dataset", "import", "--project", str(proj), str(src), "--name", "q")
    ok(tmp_path, "dataset", "undo", "--project", str(proj), "q")  # tester's import
    out = ok(tmp_path, "dataset", "undo", "--project", str(proj), "q")
    assert out.strip() == "q: nothing to undo."


def test_undo_help_says_it_is_your_own_newest(tmp_path: Path) -> None:
    out = ok(tmp_path, "dataset", "undo", "--help")
    assert "your own newest" in out and "--op" in out and "--with-later" in out
