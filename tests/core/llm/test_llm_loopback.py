"""The loopback server itself: endpoints, faults, counters, and no Nagle stall."""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any

import pytest
from helpers import Fault, dead_port, loopback
from openai import OpenAI


def _get(port: int, path: str) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_models_health_and_chat_with_the_real_sdk() -> None:
    with loopback(models=["m1", "m2"]) as server:
        assert _get(server.port, "/health") == (200, {"status": "ok"})
        client = OpenAI(
            base_url=server.base_url, api_key="sk-test-000000000000000000", max_retries=0
        )
        try:
            assert sorted(m.id for m in client.models.list()) == ["m1", "m2"]
            reply = client.chat.completions.create(
                model="m1", messages=[{"role": "user", "content": "hello there"}]
            )
        finally:
            client.close()
        assert reply.choices[0].message.content == "echo: hello there"
        assert reply.usage is not None and reply.usage.completion_tokens == 3
        assert server.path_counts["POST /v1/chat/completions"] == 1
        assert server.path_counts["GET /v1/models"] == 1
        assert server.last_authorization == "Bearer sk-test-000000000000000000"


class _CountingWriter:
    """Wraps a handler's ``wfile`` and counts the writes of each response."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.writes = 0

    def write(self, data: bytes) -> int:
        self.writes += 1
        return int(self.inner.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_no_nagle_stall_on_sequential_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """What prevents the Nagle + delayed-ACK stall (~40 ms per call): TCP_NODELAY on every
    connection and each answer in one write. The speed itself (~4 ms per call) is measured
    by benchmarks/bench_ab.py, not asserted here (timings are not stable on shared CI)."""
    from helpers import loopback_server

    connections: list[tuple[int, _CountingWriter]] = []
    original_setup = loopback_server._Handler.setup

    def setup(self: Any) -> None:
        original_setup(self)
        nodelay = self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        self.wfile = _CountingWriter(self.wfile)
        connections.append((nodelay, self.wfile))

    monkeypatch.setattr(loopback_server._Handler, "setup", setup)
    with loopback() as server:
        client = OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        try:
            for _ in range(21):
                client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "x"}]
                )
        finally:
            client.close()
        assert server.chat_requests == 21
    assert connections and all(nodelay for nodelay, _ in connections)
    # keep-alive: one connection served all 21 answers, each in a single write
    assert sum(w.writes for _, w in connections) == 21


def test_loading_period_answers_llama_cpp_503() -> None:
    # The first request must land inside the loading period: 2 s leaves room for a busy
    # machine that runs this thread late (0.3 s did not); the end is polled, not slept for.
    with loopback(loading_for_s=2.0) as server:
        status, body = _get(server.port, "/health")
        assert status == 503 and body["error"]["message"] == "Loading model"  # type: ignore[index]
        deadline = time.monotonic() + 60
        while (status := _get(server.port, "/health")[0]) == 503 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert status == 200
        assert time.monotonic() - server.started_at >= 2.0  # not before the period ended


def test_fault_schedule_retry_after_and_usage_toggle() -> None:
    with loopback(
        faults=[Fault("429", retry_after=2), "500", None, "503"], include_usage=False
    ) as s:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
        statuses = []
        for _ in range(5):
            conn.request(
                "POST",
                "/v1/chat/completions",
                body=json.dumps({"model": "m", "messages": []}),
                headers={"Content-Type": "application/json"},
            )
            resp = conn.getresponse()
            payload = json.loads(resp.read())
            statuses.append((resp.status, resp.getheader("Retry-After")))
        conn.close()
        assert statuses == [(429, "2"), (500, None), (200, None), (503, None), (200, None)]
        assert "usage" not in payload
        assert s.chat_requests == 5


def test_garbage_drop_and_probability_faults() -> None:
    with loopback(faults=["garbage", "drop"]) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("POST", "/v1/chat/completions", body=b'{"messages": []}')
        resp = conn.getresponse()
        assert resp.status == 200 and not resp.read().startswith(b"{")
        conn.request("POST", "/v1/chat/completions", body=b'{"messages": []}')
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            conn.getresponse()
        conn.close()
    with loopback(fault_rates={"500": 0.5}, seed=1) as server:
        codes = []
        for _ in range(40):
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            c.request("POST", "/v1/chat/completions", body=b'{"messages": []}')
            codes.append(c.getresponse().status)
            c.close()
        assert 8 <= codes.count(500) <= 32 and codes.count(200) == 40 - codes.count(500)
    with pytest.raises(ValueError):
        loopback(fault_rates={"418": 1.0}).__enter__()


def test_stop_releases_a_stalled_handler_quickly() -> None:
    server = loopback(faults=lambda i, b: Fault("stall", stall_s=30))
    s = server.__enter__()
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n"
        b'{"messages": []}'
    )
    deadline = time.monotonic() + 10
    while s.in_flight != 1 and time.monotonic() < deadline:  # the handler got the request
        time.sleep(0.01)
    assert s.in_flight == 1
    start = time.monotonic()
    server.__exit__(None, None, None)
    # typically ~0.05 s; the bound only has to be far below the 30 s stall
    assert time.monotonic() - start < 5.0
    sock.close()


def test_dead_port_refuses_connections() -> None:
    port = dead_port()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
