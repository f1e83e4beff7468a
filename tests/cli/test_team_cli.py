"""Many labellers from the command line (ISSUE-14 §3), each command a fresh ``python -m studio``,
on a project file and on the same project on PostgreSQL:
row versions in ``rows --json``, ``label``/``edit --expect-version`` refusing a stale edit
with who and when (exit 2, the value there now, no traceback), ``config set display-name``,
``assign`` / ``rows --mine`` / ``label --mine`` (blind overlap), ``agreement --json``
checked against scikit-learn, and ``adjudicate`` list and decide.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BANKING77
from helpers.backends import BACKENDS, on_backend
from sklearn.metrics import cohen_kappa_score

REPO = Path(__file__).resolve().parents[2]


def studio(home: Path, *argv: str, user: str | None = "tester") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STUDIO_HOME": str(home),
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    env.pop("STUDIO_USER", None)
    if user is not None:
        env["STUDIO_USER"] = user
    return subprocess.run(
        [sys.executable, "-m", "studio", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=home,
    )


def ok(home: Path, *argv: str, user: str | None = "tester") -> str:
    r = studio(home, *argv, user=user)
    assert r.returncode == 0, (argv, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r.stdout


@pytest.fixture(params=BACKENDS)
def team(
    request: pytest.FixtureRequest, tmp_path: Path, proj: Path
) -> tuple[Path, Path | str, list[str]]:
    """A project with 60 unlabelled banking77 queries (dataset ``q``) and their true intents:
    the file, or (``postgresql``) a copy of it on the test server: the same commands on both."""
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as fh:
        every = list(csv.DictReader(fh))
    # 15 queries of each of 4 intents (the file is sorted by intent, 40 of each)
    rows = [r for start in (0, 40, 80, 120) for r in every[start : start + 15]]
    assert len({r["category"] for r in rows}) == 4
    src = tmp_path / "q.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([r["text"]] for r in rows)
    ok(tmp_path, "dataset", "import", "--project", str(proj), str(src), "--name", "q")
    return tmp_path, on_backend(request, proj, request.param), [r["category"] for r in rows]


def rows_json(home: Path, proj: Path | str, *extra: str, user: str = "tester") -> list[dict]:
    return json.loads(
        ok(home, "dataset", "rows", "--project", str(proj), "q", "--json", *extra, user=user)
    )


def test_stale_label_and_edit_are_refused_with_who_and_when(team) -> None:
    home, proj, _ = team
    first = rows_json(home, proj, "--ids", "1")[0]
    assert first["version"] == 1
    p = ("--project", str(proj), "q")
    out = ok(
        home,
        "dataset",
        "label",
        *p,
        "--ids",
        "1",
        "--label",
        "card_arrival",
        "--expect-version",
        "1",
        "--json",
        user="alice",
    )
    assert json.loads(out)["version"] == 2
    r = studio(
        home,
        "dataset",
        "label",
        *p,
        "--ids",
        "1",
        "--label",
        "lost_or_stolen_card",
        "--expect-version",
        "1",
        user="bob",
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "changed by alice at 20" in r.stderr and "card_arrival" in r.stderr
    r = studio(
        home,
        "dataset",
        "edit",
        *p,
        "1",
        "--notes",
        "mine",
        "--expect-version",
        "1",
        "--json",
        user="bob",
    )
    assert r.returncode == 2
    stale = json.loads(r.stdout)
    assert (stale["error"], stale["changed_by"], stale["version"]) == ("stale", "alice", 2)
    assert stale["current"]["label"] == "card_arrival"
    assert rows_json(home, proj, "--ids", "1")[0]["notes"] == ""  # nothing saved
    # without --expect-version: read and compare-and-set in one go
    out = ok(home, "dataset", "edit", *p, "1", "--notes", "ok", "--json", user="bob")
    assert json.loads(out)["version"] == 3
    history = json.loads(ok(home, "dataset", "show", *p, "1", "--json"))["history"]
    assert [h["actor"] for h in history] == ["bob", "alice", "tester"]  # tester imported
    r = studio(
        home, "dataset", "label", *p, "--ids", "1-2", "--label", "x", "--expect-version", "3"
    )
    assert r.returncode == 2 and "exactly one" in r.stderr


def test_display_name_is_kept_in_the_settings_folder(team) -> None:
    home, proj, _ = team
    ok(home, "config", "set", "display-name", "Grace H", user=None)
    got = json.loads(ok(home, "config", "get", "display-name", "--json", user=None))
    assert got == {"display_name": "Grace H", "recorded_as": "Grace H"}
    ok(home, "dataset", "edit", "--project", str(proj), "q", "2", "--label", "x", user=None)
    history = json.loads(ok(home, "dataset", "show", "--project", str(proj), "q", "2", "--json"))
    assert history["history"][0]["actor"] == "Grace H"
    assert "Grace H" in (home / "config" / "identity.json").read_text()
    ok(home, "config", "unset", "display-name", user=None)
    assert (
        json.loads(ok(home, "config", "get", "display-name", "--json", user=None))["display_name"]
        is None
    )


def test_assign_mine_agreement_and_adjudicate(team) -> None:
    home, proj, truth = team
    p = ("--project", str(proj), "q")
    out = json.loads(
        ok(
            home,
            "dataset",
            "assign",
            *p,
            "--to",
            "alice=50%",
            "--to",
            "bob=50%",
            "--overlap",
            "1",
            "--json",
        )
    )
    assert out == {"pool": 60, "assigned": {"alice": 60, "bob": 60}, "examples": 60, "overlap": 60}
    mine = rows_json(home, proj, "--mine", user="alice")
    assert [r["id"] for r in mine] == list(range(1, 61))
    # bob's labels: the truth, except every 4th row gets the next intent's
    bob = [truth[(i + 15) % 60] if i % 4 == 0 else t for i, t in enumerate(truth)]
    for who, labels in (("alice", truth), ("bob", bob)):
        for lb in sorted(set(labels)):
            ids = ",".join(str(i + 1) for i, x in enumerate(labels) if x == lb)
            ok(home, "dataset", "label", *p, "--mine", "--ids", ids, "--label", lb, user=who)
    assert rows_json(home, proj, "--mine", user="alice") == []
    agr = json.loads(ok(home, "dataset", "agreement", *p, "--json"))
    assert agr["kappa"] is not None and 0.5 < agr["kappa"] < 0.9
    assert agr["kappa"] == pytest.approx(cohen_kappa_score(truth, bob), abs=1e-12)
    differ = [i + 1 for i, (a, b) in enumerate(zip(truth, bob, strict=True)) if a != b]
    assert agr["disagreements"] == len(differ) == agr["to_adjudicate"]
    listed = json.loads(ok(home, "dataset", "adjudicate", *p, "--json"))
    assert [d["id"] for d in listed] == differ
    agreed = [r for r in rows_json(home, proj) if r["id"] not in differ]
    assert all(r["label"] == truth[r["id"] - 1] for r in agreed)
    assert all(r["label"] is None for r in rows_json(home, proj) if r["id"] in differ)
    first = differ[0]
    done = json.loads(
        ok(
            home,
            "dataset",
            "adjudicate",
            *p,
            "--ids",
            str(first),
            "--label",
            truth[first - 1],
            "--json",
            user="carol",
        )
    )
    assert done["decided"] == [first]
    assert rows_json(home, proj, "--ids", str(first))[0]["label"] == truth[first - 1]
    text = ok(home, "dataset", "agreement", *p)
    assert "Cohen's kappa" in text and "alice: 60 of 60 labelled" in text


def test_bad_team_input_exits_2_with_a_sentence(team) -> None:
    home, proj, _ = team
    p = ("--project", str(proj), "q")
    for argv, words in (
        (("dataset", "assign", *p, "--to", "alice"), "NAME=COUNT"),
        (("dataset", "assign", *p, "--to", "alice=61"), "only 60"),
        (("dataset", "assign", *p, "--to", "a=1", "--overlap", "2"), "--overlap"),
        (("dataset", "adjudicate", *p, "--label", "x"), "--ids"),
        (("dataset", "edit", *p, "1"), "say what to change"),
        (("dataset", "label", *p, "--mine", "--clear"), "--label"),
    ):
        r = studio(home, *argv)
        assert r.returncode == 2, (argv, r.stdout, r.stderr)
        assert words in r.stderr and "Traceback" not in r.stderr, (argv, r.stderr)


def test_labelling_one_row_with_a_new_label_adds_it_to_the_labels(
    tmp_path: Path, proj: Path
) -> None:
    src = tmp_path / "c.csv"
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:4]
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["text", "category"])
        w.writeheader()
        w.writerows(rows)
    ok(tmp_path, "dataset", "import", "--project", str(proj), str(src), "--name", "c")
    ok(
        tmp_path,
        "dataset",
        "label",
        "--project",
        str(proj),
        "c",
        "--ids",
        "2",
        "--label",
        "brand_new",
    )
    with sqlite3.connect(proj) as conn:
        (label_set,) = conn.execute("SELECT label_set_json FROM dataset").fetchone()
        row = conn.execute(
            "SELECT label, ideal_output, version FROM example WHERE id = 2"
        ).fetchone()
    assert json.loads(label_set) == [*sorted({r["category"] for r in rows}), "brand_new"]
    assert row == ("brand_new", "brand_new", 2)
