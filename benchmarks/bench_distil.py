"""Distil benchmark: teacher outputs through the distil path vs the raw SDK floor.

Scenario (issue 13, "Done means"): 1,000 teacher calls at 200 ms server latency with 16 in
flight against the demo's simulated model server (the server of ``bench_ab.py``), in the
same process and run:

* floor: raw ``AsyncOpenAI.chat.completions.create`` + ``asyncio.Semaphore(16)`` sending
  the same rendered messages;
* distil: ``create_outputs_run`` + ``execute_outputs_run`` on a project of 1,000 rows
  (fresh project copy and empty cache each time): the runner, the result sink, the
  response cache writes and the candidates with provenance — everything but the plan,
  which is timed on its own (it runs before the user confirms).

Goal: distil / raw <= 1.15. Interleaved, best of ``--rounds`` each.

Run: ``PYTHONPATH=. python benchmarks/bench_distil.py [--calls 1000] [--latency 0.2] [-j 16]``
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

from studio.core.datasets.catalog import create_dataset
from studio.core.datasets.curation import add_example
from studio.core.db.project import new_project, open_project
from studio.core.demo.simulated_server import SimulatedModelServer
from studio.core.distil.outputs import (
    OutputsSpec,
    create_outputs_run,
    execute_outputs_run,
    plan_outputs,
)
from studio.core.llm.providers import ProviderConfig
from studio.core.prompts import service as prompts
from studio.core.prompts.spec import Message, PromptSpec

SYSTEM = "Answer the customer's question in one sentence."
MODEL = "loopback-large"


def build_project(path: Path, rows: int) -> None:
    """A project with dataset ``q`` of ``rows`` draft rows and prompt ``teacher@1``."""
    project = new_project(path)
    try:
        info = create_dataset(project, "q", task_type="generation")
        for i in range(rows):
            add_example(project, info.id, {"text": f"Question number {i}: is this ok?"})
        spec = PromptSpec(
            messages=(Message("system", SYSTEM), Message("user", "{{text}}")),
            model=MODEL,
            params={"temperature": 0},
        )
        prompts.save_version(project, "teacher", spec, "teacher", author="bench")
    finally:
        project.close()


async def raw_floor(base_url: str, rows: int, concurrency: int) -> float:
    """The same requests through the bare SDK, ``concurrency`` in flight."""
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await client.chat.completions.create(
                model=MODEL,
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"Question number {i}: is this ok?"},
                ],
                temperature=0,
            )

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(rows)))
    elapsed = time.perf_counter() - start
    await client.close()
    return elapsed


def distil_once(
    template: Path, work: Path, provider: ProviderConfig, concurrency: int
) -> tuple[float, float, int, int]:
    """(plan seconds, run seconds, candidates stored, calls made) on a fresh copy."""
    path = work / f"run-{time.monotonic_ns()}.studio"
    shutil.copyfile(template, path)
    project = open_project(path)
    try:
        spec = OutputsSpec(
            dataset="q", prompt_ref="teacher@1", provider=provider, concurrency=concurrency
        )
        start = time.perf_counter()
        plan_outputs(project, spec)
        planned = time.perf_counter() - start
        start = time.perf_counter()
        run_id = create_outputs_run(project, spec)
        outcome = execute_outputs_run(project, run_id, key=None)
        elapsed = time.perf_counter() - start
        return planned, elapsed, outcome.stored, outcome.calls
    finally:
        project.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("-j", "--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    import openai  # noqa: F401  - pay the import outside every timed section

    ideal = args.calls / args.concurrency * args.latency
    print(
        f"{args.calls} teacher calls, {args.latency * 1000:.0f} ms latency, "
        f"{args.concurrency} in flight; ideal {ideal:.2f} s"
    )
    with tempfile.TemporaryDirectory(prefix="bench-distil-") as tmp:
        work = Path(tmp)
        template = work / "template.studio"
        start = time.perf_counter()
        build_project(template, args.calls)
        print(f"project of {args.calls} rows built in {time.perf_counter() - start:.1f} s")
        with SimulatedModelServer(latency=args.latency) as server:
            provider = ProviderConfig("bench", server.base_url, "compatible")
            asyncio.run(raw_floor(server.base_url, args.concurrency, args.concurrency))  # warm
            floors: list[float] = []
            ours: list[float] = []
            plans: list[float] = []
            for _ in range(args.rounds):  # interleaved
                server.reset_counters()
                floors.append(asyncio.run(raw_floor(server.base_url, args.calls, args.concurrency)))
                server.reset_counters()
                planned, elapsed, stored, calls = distil_once(
                    template, work, provider, args.concurrency
                )
                assert stored == args.calls and calls == args.calls, (stored, calls)
                assert server.chat_requests == args.calls, server.chat_requests
                plans.append(planned)
                ours.append(elapsed)
            in_flight = server.max_in_flight
    floor, mine = min(floors), min(ours)
    runs_floor = ", ".join(f"{f:.2f}" for f in floors)
    runs_ours = ", ".join(f"{f:.2f}" for f in ours)
    print(f"raw AsyncOpenAI + Semaphore  {floor:6.2f} s  (runs: {runs_floor})")
    print(f"distil path (run + store)    {mine:6.2f} s  (runs: {runs_ours})")
    print(f"ratio distil / raw           {mine / floor:6.3f}  (goal <= 1.15)")
    print(f"plan before the run          {min(plans):6.2f} s  (tokens, cache look-ups, cost)")
    print(f"server max in flight         {in_flight}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
