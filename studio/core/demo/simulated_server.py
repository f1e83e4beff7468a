"""A local OpenAI-compatible server that plays a model, for the demo's recorded runs.

The demo's A/B runs (:mod:`studio.core.demo.run`) go through the real runner and SDK
against this server on ``127.0.0.1``, with a responder that plays the model; the
benchmarks use it the same way. It speaks just enough of the API for the studio:
``GET /v1/models``, ``GET /health`` (llama.cpp style) and ``POST /v1/chat/completions``
with a ``usage`` block. It answers every request it understands: the servers that
misbehave on purpose (faults, auth checks) are test helpers built on this one, under
``tests/helpers/``, through the hooks of :class:`SimulatedModelHandler`.

Why it looks the way it does:

* ``disable_nagle_algorithm = True`` and one ``write`` for headers + body: a Python
  ``BaseHTTPRequestHandler`` that writes twice hits Nagle + delayed ACK and adds ~40 ms
  per request, which would swamp every latency figure (docs/engineering-facts.md §2, bar 21).
* HTTP/1.1 keep-alive, like a real server, so the client's connection pool is exercised.
* Sleeps wait on an event, so :meth:`SimulatedModelServer.stop` releases waiting
  handlers at once.

Usage::

    with SimulatedModelServer(latency=0.05, responder=model) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="x")
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Literal, Self

Responder = Callable[[dict[str, Any]], "str | dict[str, Any]"]
Endpoint = Literal["health", "models", "chat"]


def _last_user_text(body: Mapping[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):  # content parts
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def echo_responder(body: dict[str, Any]) -> str:
    """Default responder: deterministic ``"echo: <last user message>"``."""
    return "echo: " + _last_user_text(body)


def _word_count(value: object) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_word_count(v) for v in value)
    if isinstance(value, dict):
        return sum(_word_count(v) for v in value.values())
    return 0


def _exact_usage(body: dict[str, Any], message: dict[str, Any]) -> tuple[int, int]:
    """Token counts as OpenAI would report them (o200k/cl100k by model), for demo recordings."""
    from studio.core.tokens.counting import count_chat_tokens, count_tokens, encoding_for_model

    model = str(body.get("model") or "gpt-4o")
    messages = body.get("messages")
    prompt = count_chat_tokens(messages if isinstance(messages, list) else [], model)
    content = message.get("content")
    completion = count_tokens(content, encoding_for_model(model)) if isinstance(content, str) else 0
    return prompt, completion


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 would make 64 simultaneous connects wait for SYN retries.
    request_queue_size = 256
    owner: SimulatedModelServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a cancelled or aborted run) is normal here;
        # anything else still prints its traceback like socketserver does.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class SimulatedModelHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests for a :class:`SimulatedModelServer`.

    Subclasses change the behaviour only through the hooks :meth:`note_request`,
    :meth:`refuse` and :meth:`interfere`; the HTTP plumbing stays here, written once.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY, see the module docstring
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

    # -- hooks (no-ops here) -------------------------------------------------------------
    def note_request(self, owner: SimulatedModelServer) -> None:
        """Called for every request after it is counted."""

    def refuse(self, endpoint: Endpoint, body: dict[str, Any] | None) -> bool:
        """Answer instead of the endpoint (True = answered); ``body`` is the chat request."""
        return False

    def interfere(self, index: int, body: dict[str, Any], delay: float) -> bool:
        """Before a valid chat request ``index`` is answered after ``delay`` seconds:
        True = this hook answered (or dropped) it; False = answer normally."""
        return False

    # -- plumbing --------------------------------------------------------------------
    def _send(
        self,
        status: int,
        payload: bytes,
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        reason = self.responses.get(status, ("",))[0]
        lines = [
            f"HTTP/1.1 {status} {reason}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(payload)}",
        ]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write: headers and body leave in the same segment (no Nagle stall).
        self.wfile.write(head + payload)

    def _send_json(
        self, status: int, obj: object, headers: Mapping[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(obj).encode("utf-8"), headers=headers)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _record(self) -> SimulatedModelServer:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        with owner.lock:
            owner.requests_total += 1
            owner.path_counts[f"{self.command} {path}"] += 1
        self.note_request(owner)
        return owner

    # -- endpoints -------------------------------------------------------------------
    def do_GET(self) -> None:
        owner = self._record()
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/health":
            if not self.refuse("health", None):
                self._send_json(200, {"status": "ok"})
            return
        if path == "/v1/models":
            if self.refuse("models", None):
                return
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "loopback"}
                        for m in owner.models
                    ],
                },
            )
            return
        self._send_json(404, {"error": {"message": f"No route {path}", "type": "not_found"}})

    def do_POST(self) -> None:
        owner = self._record()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if len(raw) < length:
            # The client went away while sending (a cancelled call closes its socket):
            # there is no request to answer or to count.
            self.close_connection = True
            return
        path = self.path.split("?", 1)[0].rstrip("/")
        if not (path.endswith("/chat/completions")):
            self._send_json(404, {"error": {"message": f"No route {path}", "type": "not_found"}})
            return
        with owner.lock:
            owner.in_flight += 1
            owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
            index = owner.chat_requests
            owner.chat_requests += 1
        try:
            self._chat(owner, index, raw)
        finally:
            with owner.lock:
                owner.in_flight -= 1

    def _chat(self, owner: SimulatedModelServer, index: int, raw: bytes) -> None:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(
                400, {"error": {"message": "Body is not JSON.", "type": "invalid_request_error"}}
            )
            return
        if self.refuse("chat", body):
            return
        if not isinstance(body.get("messages"), list):
            self._send_json(
                400,
                {"error": {"message": "'messages' is required.", "type": "invalid_request_error"}},
            )
            return
        delay = owner.latency_for(body)
        if self.interfere(index, body, delay):
            return
        owner.sleep(delay)
        if owner.stopping.is_set():
            self._drop()
            return
        try:
            reply = owner.responder(body)
        except Exception as exc:  # a responder bug becomes a visible 500
            self._send_json(
                500, {"error": {"message": f"responder failed: {exc}", "type": "server_error"}}
            )
            return
        message: dict[str, Any]
        if isinstance(reply, str):
            message = {"role": "assistant", "content": reply}
        else:
            message = {"role": "assistant", "content": None, **reply}
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        result: dict[str, Any] = {
            "id": f"chatcmpl-loopback-{index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "loopback"),
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
        }
        if owner.include_usage:
            if owner.exact_usage:
                prompt_tokens, completion_tokens = _exact_usage(body, message)
            else:
                prompt_tokens = _word_count(body.get("messages"))
                completion_tokens = _word_count(message.get("content")) + _word_count(
                    message.get("tool_calls")
                )
            result["usage"] = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
        self._send_json(200, result)


class SimulatedModelServer:
    """A threaded OpenAI-compatible server bound to ``127.0.0.1`` on a free port.

    Args:
        latency: seconds before each chat answer, or a callable ``(request_json) -> seconds``.
        responder: ``(request_json) -> str`` (assistant text) or a message dict, e.g.
            ``{"content": None, "tool_calls": [...]}``. Default: :func:`echo_responder`.
        include_usage: send the ``usage`` block.
        exact_usage: count its tokens like OpenAI (demo recordings); else words (cheap).
        models: ids listed by ``/v1/models``.
        host, port: where to listen (default ``127.0.0.1`` on a free port; ``studio
            demo-model`` passes its own).

    Counters (:attr:`requests_total`, :attr:`chat_requests`, :attr:`path_counts`,
    :attr:`max_in_flight`) let a benchmark see what reached the server.
    """

    handler_class: ClassVar[type[SimulatedModelHandler]] = SimulatedModelHandler

    def __init__(
        self,
        *,
        latency: float | Callable[[dict[str, Any]], float] = 0.0,
        responder: Responder | None = None,
        include_usage: bool = True,
        exact_usage: bool = False,
        models: Sequence[str] = ("loopback-small", "loopback-large"),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.latency = latency
        self.responder: Responder = responder or echo_responder
        self.include_usage = include_usage
        self.exact_usage = exact_usage
        self.models = list(models)

        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.started_at = time.monotonic()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.reset_counters()

    # -- counters --------------------------------------------------------------------
    def reset_counters(self) -> None:
        """Zero every counter (between phases of one test or benchmark)."""
        with self.lock:
            self._zero_counters()

    def _zero_counters(self) -> None:
        # Called with the lock held; subclasses add their own counters here.
        self.requests_total = 0
        self.chat_requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.path_counts: Counter[str] = Counter()

    # -- behaviour used by the handler -------------------------------------------------
    def latency_for(self, body: dict[str, Any]) -> float:
        """Seconds to wait before answering ``body``."""
        return float(self.latency(body)) if callable(self.latency) else float(self.latency)

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        if seconds > 0:
            self.stopping.wait(seconds)

    # -- life cycle ------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._httpd is None:
            raise RuntimeError("The loopback server is not started.")
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        """``http://<host>:<port>`` (where ``/health`` lives)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://<host>:<port>/v1``."""
        return f"{self.root_url}/v1"

    def start(self) -> Self:
        """Bind (to a free port unless one was given) and serve on a daemon thread.

        Raises:
            OSError: the address is in use or cannot be bound.
        """
        if self._httpd is not None:
            return self
        self.stopping.clear()
        server_class = _Server6 if ":" in self.host else _Server
        httpd = server_class((self.host, self.requested_port), self.handler_class)
        httpd.owner = self
        self._httpd = httpd
        self.started_at = time.monotonic()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"loopback-llm-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake waiting handlers and close the listening socket."""
        httpd = self._httpd
        if httpd is None:
            return
        self.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
