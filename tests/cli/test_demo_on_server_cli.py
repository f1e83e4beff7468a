"""The demo project copied to PostgreSQL reads the same as the file, command by command.

``studio project copy`` moves the demo (prompts with history, a curated dataset with
teacher candidates, recorded A/B and distil runs, a decision) to a fresh database; every
read the app's views and the CLI make then runs on both and must print the same JSON
(ISSUE-14 §1: the same core on PostgreSQL). The file's answers are the reference: the
SQLite path is the one the existing tests check figure by figure. Floats are compared to
12 significant digits: a SQL ``sum`` of costs may add in another order on the server
(0.13407600000000006 against …03), a difference no view shows.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.backends import on_backend

from studio.cli.main import run_cli


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    code = run_cli([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, (argv, err)
    return json.loads(out)


def _reads(capsys: pytest.CaptureFixture[str], where: str) -> dict[str, Any]:
    """Every read command's JSON on the project at ``where``, by command line."""
    got: dict[str, Any] = {}

    def read(*argv: str) -> Any:
        got[" ".join(argv)] = value = _json(capsys, *argv, "--project", where)
        return value

    for p in read("prompt", "list"):
        read("prompt", "log", p["name"])
        read("prompt", "labels", p["name"])
    for d in read("dataset", "list"):
        name = d["name"]
        rows = read("dataset", "rows", name)
        read("dataset", "stats", name)
        read("dataset", "history", name)
        read("dataset", "show", name, str(rows[0]["id"]))
        read("distil", "stats", name)
        read("distil", "list", name)
    for r in read("runs", "list"):
        read("runs", "show", str(r["run_id"]))
    read("decide", "--today", "2026-12-07")
    got.update(_view_reads(where))
    return got


def _view_reads(where: str) -> dict[str, Any]:
    """What the app's dataset and distil views load that no command prints (the core
    calls of studio/ui/datasets and studio/ui/distil/loading.py), as JSON-ready data."""
    from studio.core import datasets as core
    from studio.core.db.project import open_project
    from studio.core.distil.candidates import candidate_counts, list_candidates
    from studio.core.distil.run_list import distil_runs

    got: dict[str, Any] = {}
    with open_project(where) as project:
        got["dataset_summaries"] = _plain(core.dataset_summaries(project))
        for info in core.list_datasets(project):
            ids = core.query_ids(project, info.id, None, ("updated_at", False))
            got[f"query_ids {info.name}"] = ids
            got[f"fetch_rows {info.name}"] = _plain(core.fetch_rows(project, ids[:300]))
            got[f"counts {info.name}"] = _plain(core.counts(project, info.id))
            got[f"all_tags {info.name}"] = core.all_tags(project, info.id)
            got[f"distil_runs {info.name}"] = _plain(distil_runs(project, info.id))
            got[f"candidates {info.name}"] = _plain(list_candidates(project, info.id))
            got[f"candidate_counts {info.name}"] = _plain(candidate_counts(project, info.id))
    return got


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and sets as JSON data (what a view would show of them)."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def test_every_read_of_the_demo_is_the_same_on_postgresql(
    request: pytest.FixtureRequest,
    demo_template: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "demo.studio"
    shutil.copyfile(demo_template, path)
    url = str(on_backend(request, path, "postgresql"))
    on_file = _reads(capsys, str(path))
    on_server = _rounded(json.loads(json.dumps(_reads(capsys, url)).replace(url, str(path))))
    on_file = _rounded(on_file)
    assert len(on_file) > 15  # prompts, the dataset, the runs: every family was read
    assert on_server.keys() == on_file.keys()
    differ = [command for command, value in on_file.items() if on_server[command] != value]
    assert not differ, [(c, _first_difference(on_file[c], on_server[c])) for c in differ]


def _rounded(value: Any) -> Any:
    """``value`` with every float rounded to 12 significant digits."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _first_difference(a: Any, b: Any, where: str = "") -> str:
    """Where two JSON values first differ, and how (for the failure message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{where}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
    return f"{where}: {a!r} != {b!r}"
