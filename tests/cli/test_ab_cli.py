"""``studio ab``: JSON shape, text output, exit codes, key hygiene."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import SENTINEL_KEY, files_containing, loopback
from helpers.ab_project import (
    IntentResponder,
    ab_args,
    correct_sets,
    query_index,
    variant_of,
)
from helpers.loopback_server import dead_base_url

from studio.cli.main import run_cli

N = 16


def _args(ab: Any, url: str, *extra: str) -> list[str]:
    return ab_args(ab, "--base-url", url, *extra)


def test_json_output_shape_and_exit_0(ab, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    correct = correct_sets(N)
    with loopback(responder=IntentResponder(ab.labels, correct)) as server:
        code = run_cli(_args(ab, server.base_url, "--json", "--concurrency", "4"))
        out = json.loads(capsys.readouterr().out)
        assert code == 0
        assert set(out) == {"run_id", "n", "variants", "comparison", "calls"}
        assert out["n"] == N and out["calls"] == {"made": 2 * N, "cached": 0, "failed": 0}
        v1, v2 = out["variants"]
        assert v1["prompt"] == "intent@1" and v2["prompt"] == "intent@2"
        assert set(v1) == {
            "prompt",
            "version",
            "model",
            "label",
            "score",
            "ci95",
            "errors",
            "latency_ms",
            "tokens",
            "cost_usd",
            "label_matches",
        }
        assert v1["label_matches"] == {"exact": len(correct[1]), "lenient": 0}
        assert (v1["version"], v2["version"]) == (1, 2)
        assert v1["score"] == pytest.approx(len(correct[1]) / N)
        assert v1["ci95"][0] < v1["score"] < v1["ci95"][1]
        assert set(v1["latency_ms"]) == {"p50", "p95"} and v1["latency_ms"]["p50"] > 0
        assert v1["tokens"]["output"] == N and v1["cost_usd"] is None  # unpriced model
        assert set(out["comparison"]) == {"difference", "ci95", "p_value", "test", "verdict"}
        assert out["comparison"]["difference"] == pytest.approx(
            (len(correct[2]) - len(correct[1])) / N
        )
        # again: all from the cache, same numbers, no request
        server.reset_counters()
        assert run_cli(_args(ab, server.base_url, "--json")) == 0
        again = json.loads(capsys.readouterr().out)
        assert server.chat_requests == 0
        assert again["calls"] == {"made": 0, "cached": 2 * N, "failed": 0}
        assert again["variants"] == out["variants"] and again["comparison"] == out["comparison"]
        # --no-cache asks again
        assert run_cli(_args(ab, server.base_url, "--json", "--no-cache")) == 0
        capsys.readouterr()
        assert server.chat_requests == 2 * N


def test_text_output_has_a_table_and_the_verdict(ab, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    with loopback(
        responder=IntentResponder(ab.labels, correct_sets(N)), include_usage=False
    ) as server:
        assert run_cli(_args(ab, server.base_url)) == 0
    out = capsys.readouterr().out
    assert "intent@1" in out and "intent@2" in out and "Verdict: " in out
    assert "not distinguishable at n = 16" in out
    row = next(line for line in out.splitlines() if line.startswith("intent@1"))
    assert row.count("unknown") == 4  # tokens in/out, cost, per 1k: never 0


def test_failed_calls_exit_1(ab, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    def faults(index: int, body: dict[str, Any]) -> str | None:
        return "500" if variant_of(body) == 2 and query_index(body) == 3 else None

    with loopback(responder=IntentResponder(ab.labels, correct_sets(N)), faults=faults) as server:
        code = run_cli(_args(ab, server.base_url, "--json"))
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["calls"]["failed"] == 1 and out["variants"][1]["errors"] == 1
    assert server.chat_requests == 2 * N + 2  # the failing call was tried 3 times


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--dataset", "nope"], "nope"),
        (["--variant", "ghost@1"], "ghost"),
        (["--variant", "intent@7"], "7"),
    ],
)
def test_bad_input_exits_2(
    ab,
    capsys: pytest.CaptureFixture[str],
    args: list[str],  # type: ignore[no-untyped-def]
    needle: str,
) -> None:
    base = ab_args(ab, "--base-url", "http://127.0.0.1:9/v1")
    if args[0] == "--dataset":
        base[base.index("intents")] = args[1]
    else:
        base[base.index("intent@2")] = args[1]
    assert run_cli(base) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_fewer_than_two_variants_and_bad_url_exit_2(ab, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    one = ["ab", "--project", str(ab.path), "--dataset", "intents", "--variant", "intent@1"]
    assert run_cli(one) == 2
    assert "at least two" in capsys.readouterr().err
    assert run_cli(_args(ab, "ftp://nowhere")) == 2
    assert "http://" in capsys.readouterr().err


def test_dead_server_exits_2_within_5_seconds(ab, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    url = dead_base_url()
    start = time.perf_counter()
    code = run_cli(_args(ab, url, "--json"))
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert code == 2 and elapsed < 5.0
    assert f"server unreachable at {url}" in err.lower()


def test_sentinel_key_from_the_environment_never_written_or_printed(  # type: ignore[no-untyped-def]
    ab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, studio_home: Path
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    # a non-OpenAI base URL gets OPENAI_API_KEY only when the user names it
    named = ("--api-key-env", "OPENAI_API_KEY")
    with loopback(
        responder=IntentResponder(ab.labels, correct_sets(N)), require_key=SENTINEL_KEY
    ) as server:
        assert run_cli(_args(ab, server.base_url, "--json", *named)) == 0
        assert server.last_authorization == f"Bearer {SENTINEL_KEY}"
        assert run_cli(_args(ab, server.base_url, *named)) == 0
    captured = capsys.readouterr()
    assert SENTINEL_KEY not in captured.out + captured.err
    assert "SENTINEL" not in captured.out + captured.err
    assert files_containing(ab.path.parent, SENTINEL_KEY) == []
    assert files_containing(studio_home, SENTINEL_KEY) == []


def test_openai_without_a_key_exits_2_before_storing_a_run(  # type: ignore[no-untyped-def]
    ab, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ab_args(ab)
    assert run_cli(args) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err
    from studio.core.db.project import open_project
    from studio.core.evals.run_store import list_runs

    with open_project(ab.path) as project:
        assert list_runs(project) == []
