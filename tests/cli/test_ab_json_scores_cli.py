"""``studio ab`` on a JSON task (ISSUE-10 §1): `exact` and `json-equal` equal a hand
count, per-field agreement in ``--json`` and text, json-schema's schema from the prompt
version / ``--schema FILE`` / a usage error, and the scorer help's examples.

Runs the real CLI (``python -m studio``) against the loopback server.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import loopback
from helpers.json_task import build_json_task, hand_count, responder

N = 30


@pytest.fixture
def task(tmp_path: Path):  # type: ignore[no-untyped-def]
    return build_json_task(tmp_path / "tickets.studio", n=N)


def _studio(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("OPENAI_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def _ab(
    task: Any, url: str, *extra: str, prompt: str = "triage"
) -> subprocess.CompletedProcess[str]:
    return _studio(
        "ab",
        "--project",
        str(task.path),
        "--dataset",
        "tickets",
        "--variant",
        f"{prompt}@1",
        "--variant",
        f"{prompt}@2",
        "--base-url",
        url,
        "--concurrency",
        "4",
        *extra,
    )


def _runs(task: Any) -> int:
    with sqlite3.connect(task.path) as conn:
        return int(conn.execute("SELECT count(*) FROM eval_run").fetchone()[0])


def test_exact_and_json_equal_equal_the_hand_count(task) -> None:  # type: ignore[no-untyped-def]
    hand = {v: hand_count(v, N) for v in (1, 2)}
    with loopback(responder=responder) as server:
        exact = _ab(task, server.base_url, "--scorer", "exact", "--json")
        assert exact.returncode == 0, exact.stderr
        equal = _ab(task, server.base_url, "--scorer", "json-equal", "--json")
        assert equal.returncode == 0, equal.stderr
        text = _ab(task, server.base_url, "--scorer", "json-equal")
        assert text.returncode == 0, text.stderr
        assert server.chat_requests == 2 * N  # the later runs came from the cache
    ex, eq = json.loads(exact.stdout), json.loads(equal.stdout)
    assert ex["n"] == eq["n"] == N
    for index, version in enumerate((1, 2)):
        assert ex["variants"][index]["score"] == pytest.approx(hand[version]["exact"] / N)
        assert eq["variants"][index]["score"] == pytest.approx(hand[version]["json-equal"] / N)
        assert "field_agreement" not in ex["variants"][index]
        assert eq["variants"][index]["field_agreement"] == {
            "intents": {
                "agree": hand[version]["intents"],
                "scored": N,
                "share": pytest.approx(hand[version]["intents"] / N),
            },
            "urgent": {
                "agree": hand[version]["urgent"],
                "scored": N,
                "share": pytest.approx(hand[version]["urgent"] / N),
            },
        }
    # the McNemar comparison is the same machinery as for any binary scorer
    assert eq["comparison"]["test"].startswith("exact McNemar")
    assert eq["comparison"]["difference"] == pytest.approx(
        (hand[2]["json-equal"] - hand[1]["json-equal"]) / N
    )
    h1 = hand[1]
    assert (
        f"Field agreement, triage@1: intents {h1['intents']}/{N}"
        f" ({h1['intents'] / N * 100:.0f}%), urgent {h1['urgent']}/{N}"
    ) in text.stdout


def test_json_schema_uses_the_response_schema_by_default(task, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hand = {v: hand_count(v, N) for v in (1, 2)}
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"type": "object", "required": ["priority"]}), "utf-8")
    with loopback(responder=responder) as server:
        default = _ab(task, server.base_url, "--scorer", "json-schema", "--json")
        assert default.returncode == 0, default.stderr
        override = _ab(
            task, server.base_url, "--scorer", "json-schema", "--schema", str(other), "--json"
        )
        assert override.returncode == 0, override.stderr
        before = _runs(task)
        requests = server.chat_requests
        no_schema = _ab(task, server.base_url, "--scorer", "json-schema", prompt="plain")
        assert server.chat_requests == requests  # not a run: no call
    got = json.loads(default.stdout)
    assert [v["score"] for v in got["variants"]] == pytest.approx(
        [hand[1]["schema"] / N, hand[2]["schema"] / N]
    )
    # nobody answers with a "priority" key: every answer fails the overriding schema
    assert [v["score"] for v in json.loads(override.stdout)["variants"]] == [0.0, 0.0]
    assert no_schema.returncode == 2
    assert "no response_schema" in no_schema.stderr and "--schema FILE" in no_schema.stderr
    assert "Traceback" not in no_schema.stderr and no_schema.stdout == ""
    assert _runs(task) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"type": "objekt"}', "is not a valid JSON Schema"),
        ("[1, 2]", "must hold a JSON object"),
        (None, "Cannot read the schema file"),
    ],
)
def test_bad_schema_file_is_a_usage_error(
    task,
    tmp_path: Path,
    content: str | None,  # type: ignore[no-untyped-def]
    message: str,
) -> None:
    path = tmp_path / "schema.json"
    if content is not None:
        path.write_text(content, "utf-8")
    result = _ab(task, "http://127.0.0.1:9/v1", "--scorer", "json-schema", "--schema", str(path))
    assert result.returncode == 2
    assert message in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert _runs(task) == 0


def test_schema_flag_needs_the_json_schema_scorer(task, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "schema.json"
    path.write_text('{"type": "object"}', "utf-8")
    result = _ab(task, "http://127.0.0.1:9/v1", "--scorer", "exact", "--schema", str(path))
    assert result.returncode == 2 and "--schema is for --scorer json-schema" in result.stderr


def test_help_lists_every_scorer_with_a_passing_and_a_failing_answer() -> None:
    from studio.cli.ab_cmd import SCORER_CHOICES
    from studio.core.evals.run_scoring import SCORER_HELP

    result = _studio("ab", "--help")
    assert result.returncode == 0
    out = result.stdout
    assert "only surrounding" in out and "whitespace is ignored" in out
    for name in SCORER_CHOICES:
        h = SCORER_HELP[name]
        assert f"\n{name}: " in out
        assert f"passes: {h.passing!r}" in out and f"fails:  {h.failing!r}" in out
    assert "--schema FILE" in out


def test_label_counts_exact_and_lenient_matches_and_strict_scores_only_exact(
    tmp_path: Path,
) -> None:
    from helpers.ab_project import (
        ab_args,
        build_ab_project,
        query_index,
        variant_of,
        wrong_label,
    )

    n = 24
    ab = build_ab_project(tmp_path / "ab.studio", n_test=n)

    def style(version: int, i: int) -> str:
        return ("exact", "spaced", "sentence", "wrong")[(i + version) % 4]

    def answer(body: dict[str, Any]) -> str:
        i, v = query_index(body), variant_of(body)
        label = ab.labels[i]
        return {
            "exact": label,  # exact
            "spaced": label.replace("_", " ").title(),  # lenient
            "sentence": f"I think it is {label.replace('_', ' ')}.",  # lenient
            "wrong": wrong_label(label),
        }[style(v, i)]

    # hand count per version: exact = "exact" answers, lenient = "spaced" + "sentence"
    hand = {
        v: {
            "exact": sum(style(v, i) == "exact" for i in range(n)),
            "lenient": sum(style(v, i) in ("spaced", "sentence") for i in range(n)),
        }
        for v in (1, 2)
    }
    with loopback(responder=answer) as server:
        args = tuple(ab_args(ab, "--base-url", server.base_url, "--json"))
        lenient = _studio(*args, "--scorer", "label")
        strict = _studio(*args, "--scorer", "label-strict")
        text = _studio(*args[:-1], "--scorer", "label")
    assert lenient.returncode == strict.returncode == text.returncode == 0, lenient.stderr
    assert (
        f"Label matches, intent@1: {hand[1]['exact']} exact, {hand[1]['lenient']} only "
        "by lenient extraction."
    ) in text.stdout
    for index, version in enumerate((1, 2)):
        got = json.loads(lenient.stdout)["variants"][index]
        assert got["label_matches"] == hand[version]
        assert got["score"] == pytest.approx(
            (hand[version]["exact"] + hand[version]["lenient"]) / n
        )
        got_strict = json.loads(strict.stdout)["variants"][index]
        assert got_strict["label_matches"] == hand[version]
        assert got_strict["score"] == pytest.approx(hand[version]["exact"] / n)
