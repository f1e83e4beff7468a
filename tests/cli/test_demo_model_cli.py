"""``studio demo-model``: the demo's simulated model as a real server process.

The openai SDK asks it every test-split query of the demo dataset (read from the demo
project with sqlite3); its answers are scored here against the rows' labels with the json
module. The standalone server must give the same right/wrong per query as the demo's
recorded student-vs-teacher run, so a user who replays the loop sees the demo's numbers.
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import openai
from helpers.demo_model import demo_model, studio_env

from studio.core.demo.run import LARGE_MODEL, STUDENT_MODEL

NANO = "gpt-4.1-nano"


def _test_rows(demo: Path) -> list[tuple[int, str, str]]:
    conn = sqlite3.connect(demo)
    try:
        rows = conn.execute(
            "SELECT e.id, e.input_json, e.label FROM example e JOIN dataset d "
            "ON d.id = e.dataset_id WHERE d.name = 'Banking intents (demo)' "
            "AND e.split = 'test' AND e.status != 'rejected' AND coalesce(e.label, '') != '' "
            "ORDER BY e.id"
        ).fetchall()
    finally:
        conn.close()
    return [(int(i), json.loads(raw)["text"], str(label)) for i, raw, label in rows]


def _recorded(demo: Path, model: str) -> dict[int, bool]:
    """Right/wrong per example in the demo's recorded teacher-vs-student run."""
    conn = sqlite3.connect(demo)
    try:
        rows = conn.execute(
            "SELECT r.example_id, r.output, e.label FROM eval_result r "
            "JOIN eval_variant v ON v.id = r.variant_id JOIN example e ON e.id = r.example_id "
            "WHERE v.model = ? AND r.run_id = (SELECT v2.run_id FROM eval_variant v2 "
            "WHERE v2.model = ?)",
            (model, STUDENT_MODEL),
        ).fetchall()
    finally:
        conn.close()
    return {int(e): json.loads(out)["intent"] == label for e, out, label in rows}


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def test_serves_teacher_and_student_to_the_sdk_and_stops_on_ctrl_c(demo_template: Path) -> None:
    rows = _test_rows(demo_template)
    with demo_model() as server:
        assert server.banner[1].startswith("Models: ") and STUDENT_MODEL in server.banner[1]
        client = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
        assert [m.id for m in client.models.list()] == [
            LARGE_MODEL,
            "gpt-4.1-mini",
            NANO,
            STUDENT_MODEL,
        ]
        right: dict[str, dict[int, bool]] = {}
        for model in (LARGE_MODEL, STUDENT_MODEL, NANO):
            right[model] = {}
            for example_id, query, label in rows:
                reply = client.chat.completions.create(
                    model=model,
                    messages=[{"role": "user", "content": query}],
                    response_format={"type": "json_object"},
                )
                assert reply.usage is not None and reply.usage.prompt_tokens > 0
                content = reply.choices[0].message.content or "{}"
                right[model][example_id] = json.loads(content)["intent"] == label
        client.close()
        calls = 3 * len(rows)
        port = server.port
    # Ctrl+C: a clean stop, exit 0, the count of what it answered, the port closed
    assert server.returncode == 0, server.stderr
    assert f"Stopped after {calls} chat request(s)." in server.stderr
    assert "Traceback" not in server.stderr
    assert _refused(port)

    n = len(rows)
    teacher, student, nano = (sum(right[m].values()) for m in (LARGE_MODEL, STUDENT_MODEL, NANO))
    # Teacher and student differ as designed: a few points apart, the un-tuned nano far below
    assert 0.01 <= (teacher - student) / n <= 0.06
    assert (student - nano) / n >= 0.10
    assert sum(right[LARGE_MODEL][e] != right[STUDENT_MODEL][e] for e in right[LARGE_MODEL]) > 0
    # ... and answer exactly as in the demo's recorded student-vs-teacher run
    assert right[LARGE_MODEL] == _recorded(demo_template, LARGE_MODEL)
    assert right[STUDENT_MODEL] == _recorded(demo_template, STUDENT_MODEL)


def _studio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=studio_env(),
    )


def test_refuses_a_host_that_is_not_loopback_and_a_busy_port() -> None:
    r = _studio("demo-model", "--host", "0.0.0.0")
    assert r.returncode == 2 and r.stdout == ""
    assert "not a loopback address" in r.stderr and "--allow-remote" in r.stderr
    assert "Traceback" not in r.stderr
    with demo_model() as server:
        busy = _studio("demo-model", "--port", str(server.port))
        assert busy.returncode == 2 and f"Cannot listen on 127.0.0.1:{server.port}" in busy.stderr
        assert "Traceback" not in busy.stderr
        server.stop(signal.SIGTERM)  # a plain `kill` stops it cleanly too
    assert server.returncode == 0 and "Stopped after 0 chat request(s)." in server.stderr
