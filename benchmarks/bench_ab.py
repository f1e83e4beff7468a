"""A/B runner benchmark: our runner vs the raw SDK floor (and promptfoo when installed).

Scenario (docs/engineering-facts.md bars 3 and 4): 400 chat calls at 200 ms server latency with
16 in flight against the demo's simulated model server (TCP_NODELAY).

* floor: raw ``AsyncOpenAI.chat.completions.create`` + ``asyncio.Semaphore(16)``.
* ours: ``run_items`` with concurrency 16 and an SQLite cache file (written).
* cached: the same run again from the cache: goal 0 HTTP requests and <= 1 s.
* promptfoo: ``npx promptfoo eval`` against the same server when available.

Run: ``/work/venv/bin/python benchmarks/bench_ab.py [--calls 400] [--latency 0.2] [-j 16]``
Set ``PROMPTFOO_DIR`` to a folder where ``npm install promptfoo`` was run (default:
``/tmp/pf``), or have ``promptfoo`` on PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from studio.core.demo.simulated_server import SimulatedModelServer
from studio.core.evals.cache import SqliteCache
from studio.core.evals.calls import MemorySink, WorkItem
from studio.core.evals.runner import run_items
from studio.core.llm.providers import ProviderConfig


def make_items(calls: int) -> list[WorkItem]:
    half = calls // 2
    return [
        WorkItem(
            variant_key=variant,
            example_id=i,
            messages=[
                {"role": "system", "content": f"Answer as prompt version {variant}."},
                {"role": "user", "content": f"Question number {i}: is this ok?"},
            ],
            model="loopback-small",
            params={"temperature": 0},
        )
        for variant in ("A", "B")
        for i in range(half)
    ]


async def raw_floor(base_url: str, items: list[WorkItem], concurrency: int) -> float:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    sem = asyncio.Semaphore(concurrency)

    async def one(item: WorkItem) -> None:
        async with sem:
            await client.chat.completions.create(
                model=item.model,
                messages=item.messages,
                temperature=0,  # type: ignore[arg-type]
            )

    start = time.perf_counter()
    await asyncio.gather(*(one(item) for item in items))
    elapsed = time.perf_counter() - start
    await client.close()
    return elapsed


def run_promptfoo(server: SimulatedModelServer, calls: int, concurrency: int) -> str:
    pf_dir = Path(os.environ.get("PROMPTFOO_DIR", "/tmp/pf"))
    local_bin = pf_dir / "node_modules" / ".bin" / "promptfoo"
    if local_bin.exists():
        cmd = [str(local_bin)]
    elif shutil.which("promptfoo"):
        cmd = ["promptfoo"]
    else:
        return (
            "promptfoo not installed. To compare: mkdir /tmp/pf && cd /tmp/pf && "
            "PROMPTFOO_DISABLE_TELEMETRY=1 npm install promptfoo, then rerun this script."
        )
    with tempfile.TemporaryDirectory(prefix="bench-promptfoo-") as tmp:
        tmp_path = Path(tmp)
        half = calls // 2
        tests = "\n".join(f"  - vars: {{i: {i}}}" for i in range(half))
        config = f"""description: bench
prompts:
  - "Answer as prompt version A. Question number {{{{i}}}}: is this ok?"
  - "Answer as prompt version B. Question number {{{{i}}}}: is this ok?"
providers:
  - id: openai:chat:loopback-small
    config:
      apiBaseUrl: {server.base_url}
      apiKey: bench-dummy
      temperature: 0
defaultTest:
  assert:
    - type: contains
      value: echo
tests:
{tests}
"""
        (tmp_path / "promptfooconfig.yaml").write_text(config, encoding="utf-8")
        env = {
            **os.environ,
            "PROMPTFOO_DISABLE_TELEMETRY": "1",
            "PROMPTFOO_DISABLE_UPDATE": "1",
            "PROMPTFOO_CONFIG_DIR": str(tmp_path / "config"),
        }
        args = [
            *cmd,
            "eval",
            "-c",
            "promptfooconfig.yaml",
            "-j",
            str(concurrency),
            "--no-table",
            "--no-progress-bar",
            "-o",
            "out.json",
        ]
        lines = []
        for label, extra in (("first run", ["--no-cache"]), ("cold cache", []), ("cached", [])):
            server.reset_counters()
            start = time.perf_counter()
            proc = subprocess.run(
                args + extra, cwd=tmp, env=env, capture_output=True, text=True, timeout=600
            )
            wall = time.perf_counter() - start
            if proc.returncode not in (0, 100):
                return f"promptfoo failed ({proc.returncode}): {proc.stderr[-400:]}"
            lines.append(
                f"promptfoo {label:<11} wall {wall:6.2f} s   HTTP requests "
                f"{server.chat_requests:4d}   max in flight {server.max_in_flight}"
            )
        return "\n".join(lines)


async def main_async(calls: int, latency: float, concurrency: int, with_promptfoo: bool) -> None:
    import openai  # noqa: F401  - pay the 0.9 s import outside every timed section

    items = make_items(calls)
    ideal = calls / concurrency * latency
    print(
        f"{calls} calls, {latency * 1000:.0f} ms latency, {concurrency} in flight; "
        f"ideal {ideal:.2f} s"
    )
    with SimulatedModelServer(latency=latency) as server:
        provider = ProviderConfig("bench", server.base_url, "compatible")
        # Warm-up: one connection round so neither side pays first-connect costs.
        await raw_floor(server.base_url, items[:concurrency], concurrency)

        floors, ours = [], []
        latencies: list[float] = []
        for _ in range(2):  # interleaved, best of 2 each
            server.reset_counters()
            floors.append(await raw_floor(server.base_url, items, concurrency))
            server.reset_counters()
            sink = MemorySink()
            start = time.perf_counter()
            summary = await run_items(
                items, provider=provider, api_key=None, sink=sink, concurrency=concurrency
            )
            ours.append(time.perf_counter() - start)
            assert summary.succeeded == calls, summary
            assert server.max_in_flight == concurrency, server.max_in_flight
            latencies = [r.latency_ms for r in sink.results if r.latency_ms is not None]
        floor, mine = min(floors), min(ours)
        print(
            f"raw AsyncOpenAI + Semaphore  {floor:6.2f} s  "
            f"(runs: {', '.join(f'{f:.2f}' for f in floors)})"
        )
        print(
            f"our runner                   {mine:6.2f} s  "
            f"(runs: {', '.join(f'{f:.2f}' for f in ours)})"
        )
        print(f"ratio ours / raw             {mine / floor:6.3f}  (goal <= 1.10)")
        print(
            f"our per-call latency         p50 {statistics.median(latencies):.0f} ms, "
            f"p95 {sorted(latencies)[int(0.95 * len(latencies)) - 1]:.0f} ms; "
            f"server max in flight {server.max_in_flight}"
        )

        with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
            cache_path = Path(tmp) / "cache.sqlite"

            async def run_with_cache() -> Any:
                with SqliteCache(cache_path) as cache:
                    return await run_items(
                        items,
                        provider=provider,
                        api_key=None,
                        sink=MemorySink(),
                        cache=cache,
                        concurrency=concurrency,
                    )

            await run_with_cache()  # fills the cache
            server.reset_counters()
            start = time.perf_counter()
            summary = await run_with_cache()
            cached_s = time.perf_counter() - start
            print(
                f"fully cached rerun           {cached_s:6.3f} s  HTTP requests "
                f"{server.requests_total}, cached {summary.cached}/{calls}  (goal 0 and <= 1 s)"
            )

        if with_promptfoo:
            print(run_promptfoo(server, calls, concurrency))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("-j", "--concurrency", type=int, default=16)
    parser.add_argument("--no-promptfoo", action="store_true")
    args = parser.parse_args()
    asyncio.run(main_async(args.calls, args.latency, args.concurrency, not args.no_promptfoo))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
