"""An OpenAI-compatible HTTP server on 127.0.0.1 for tests, benchmarks and the demo.

It speaks just enough of the API for the studio: ``GET /v1/models``, ``GET /health``
(llama.cpp style) and ``POST /v1/chat/completions`` with a ``usage`` block. It can
inject every fault the runner must survive: 429 with ``Retry-After``, 500, 503 "Loading
model" for the first seconds, stalls longer than the client's read timeout, garbage
bodies and connections dropped without a response.

Why it looks the way it does:

* ``disable_nagle_algorithm = True`` and one ``write`` for headers + body: a Python
  ``BaseHTTPRequestHandler`` that writes twice hits Nagle + delayed ACK and adds ~40 ms
  per request, which would swamp every latency figure (engineering-facts §2, bar 21).
* HTTP/1.1 keep-alive, like a real server, so the client's connection pool is exercised.
* Sleeps wait on an event, so :meth:`LoopbackServer.stop` releases stalled handlers at once.

Usage::

    with LoopbackServer(latency=0.05) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="x")
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

FaultKind = Literal["429", "500", "503", "stall", "garbage", "drop"]
FAULT_KINDS: tuple[str, ...] = ("429", "500", "503", "stall", "garbage", "drop")


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected failure for a chat request.

    Attributes:
        kind: ``"429"``, ``"500"``, ``"503"``, ``"stall"``, ``"garbage"`` or ``"drop"``.
        retry_after: seconds sent as ``Retry-After`` with a 429/503 (None = no header).
        retry_after_ms: milliseconds sent as ``retry-after-ms`` (None = no header).
        stall_s: how long a ``"stall"`` sleeps before answering normally.
    """

    kind: FaultKind
    retry_after: float | None = None
    retry_after_ms: float | None = None
    stall_s: float = 30.0


FaultSpec = Fault | str | None
# A schedule maps the 0-based index of a chat request (and its JSON body) to a fault.
FaultSchedule = Sequence[FaultSpec] | Callable[[int, dict[str, Any]], FaultSpec]
Responder = Callable[[dict[str, Any]], "str | dict[str, Any]"]


def _as_fault(spec: FaultSpec) -> Fault | None:
    if spec is None or isinstance(spec, Fault):
        return spec
    if spec not in FAULT_KINDS:
        raise ValueError(f"Unknown fault kind {spec!r}; use one of {', '.join(FAULT_KINDS)}.")
    return Fault(kind=spec)  # type: ignore[arg-type]


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
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a cancelled or aborted run) is normal here;
        # anything else still prints its traceback like socketserver does.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY, see the module docstring
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

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

    def _loading_reply(self) -> bool:
        owner = self.server.owner
        if owner.loading_for_s > 0 and time.monotonic() - owner.started_at < owner.loading_for_s:
            self._send_json(
                503,
                {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}},
            )
            return True
        return False

    def _record(self) -> LoopbackServer:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        with owner.lock:
            owner.requests_total += 1
            owner.path_counts[f"{self.command} {path}"] += 1
            auth = self.headers.get("Authorization")
            if auth is not None:
                owner.last_authorization = auth
            api_key = self.headers.get("api-key")
            if api_key is not None:
                owner.last_api_key_header = api_key
        return owner

    def _auth_ok(self, owner: LoopbackServer) -> bool:
        if owner.require_key is None:
            return True
        supplied = self.headers.get("Authorization", "")
        if (
            supplied == f"Bearer {owner.require_key}"
            or self.headers.get("api-key") == owner.require_key
        ):
            return True
        self._send_json(
            401,
            {
                "error": {
                    "message": "Incorrect API key provided.",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
        )
        return False

    # -- endpoints -------------------------------------------------------------------
    def do_GET(self) -> None:
        owner = self._record()
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/health":
            if not self._loading_reply():
                self._send_json(200, {"status": "ok"})
            return
        if path == "/v1/models":
            if self._loading_reply() or not self._auth_ok(owner):
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

    def _chat(self, owner: LoopbackServer, index: int, raw: bytes) -> None:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(
                400, {"error": {"message": "Body is not JSON.", "type": "invalid_request_error"}}
            )
            return
        if owner.record_bodies:
            with owner.lock:
                owner.chat_bodies.append(body)
        if self._loading_reply() or not self._auth_ok(owner):
            return
        if owner.known_models_only and body.get("model") not in owner.models:
            self._send_json(
                404,
                {
                    "error": {
                        "message": f"The model `{body.get('model')}` does not exist.",
                        "type": "invalid_request_error",
                        "code": "model_not_found",
                    }
                },
            )
            return
        if not isinstance(body.get("messages"), list):
            self._send_json(
                400,
                {"error": {"message": "'messages' is required.", "type": "invalid_request_error"}},
            )
            return
        fault = owner.fault_for(index, body)
        delay = owner.latency_for(body)
        if fault is not None:
            if fault.kind == "stall":
                owner.sleep(fault.stall_s)
            elif fault.kind == "drop":
                owner.sleep(delay)
                self._drop()
                return
            else:
                owner.sleep(delay)
                self._send_fault(fault)
                return
        owner.sleep(delay)
        if owner.stopping.is_set():
            self._drop()
            return
        try:
            reply = owner.responder(body)
        except Exception as exc:  # a test's responder bug becomes a visible 500
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

    def _send_fault(self, fault: Fault) -> None:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        if fault.retry_after_ms is not None:
            headers["retry-after-ms"] = f"{fault.retry_after_ms:g}"
        if fault.kind == "429":
            self._send_json(
                429,
                {
                    "error": {
                        "message": "Rate limit reached, slow down.",
                        "type": "rate_limit_error",
                        "code": "rate_limit_exceeded",
                    }
                },
                headers,
            )
        elif fault.kind == "500":
            self._send_json(
                500, {"error": {"message": "Internal error.", "type": "server_error"}}, headers
            )
        elif fault.kind == "503":
            self._send_json(
                503,
                {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}},
                headers,
            )
        else:  # garbage: a 200 whose body is not JSON
            self._send(200, b"<html>this is not json{{", headers=headers)


class LoopbackServer:
    """A threaded OpenAI-compatible server bound to ``127.0.0.1`` on a free port.

    Args:
        latency: seconds before each chat answer, or a callable ``(request_json) -> seconds``.
        responder: ``(request_json) -> str`` (assistant text) or a message dict, e.g.
            ``{"content": None, "tool_calls": [...]}``. Default: :func:`echo_responder`.
        include_usage: send the ``usage`` block (token counts are word counts).
        faults: a schedule by chat-request index: a sequence (index past the end = no
            fault) or a callable ``(index, request_json) -> Fault | kind | None``.
        fault_rates: probability per kind, e.g. ``{"429": 0.1}``; drawn with ``seed``.
        rate_fault: the :class:`Fault` template used for ``fault_rates`` draws of a kind
            (e.g. to set ``retry_after``); keyed by kind.
        loading_for_s: answer 503 "Loading model" (llama.cpp's body) to everything for
            the first seconds after :meth:`start`.
        models: ids listed by ``/v1/models``.
        known_models_only: answer 404 ``model_not_found`` for other models.
        require_key: answer 401 unless ``Authorization: Bearer <key>`` (or ``api-key``).
        record_bodies: keep every chat request body in :attr:`chat_bodies`.
    """

    def __init__(
        self,
        *,
        latency: float | Callable[[dict[str, Any]], float] = 0.0,
        responder: Responder | None = None,
        include_usage: bool = True,
        exact_usage: bool = False,
        faults: FaultSchedule | None = None,
        fault_rates: Mapping[str, float] | None = None,
        rate_fault: Mapping[str, Fault] | None = None,
        seed: int = 0,
        loading_for_s: float = 0.0,
        models: Sequence[str] = ("loopback-small", "loopback-large"),
        known_models_only: bool = False,
        require_key: str | None = None,
        record_bodies: bool = False,
    ) -> None:
        self.latency = latency
        self.responder: Responder = responder or echo_responder
        self.include_usage = include_usage
        # exact_usage: count tokens like OpenAI (demo recordings); else words (cheap, tests)
        self.exact_usage = exact_usage
        self.faults = faults
        self.fault_rates = dict(fault_rates or {})
        for kind in self.fault_rates:
            _as_fault(kind)
        self.rate_fault = dict(rate_fault or {})
        self._rng = random.Random(seed)
        self.loading_for_s = loading_for_s
        self.models = list(models)
        self.known_models_only = known_models_only
        self.require_key = require_key
        self.record_bodies = record_bodies

        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.started_at = time.monotonic()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.reset_counters()

    # -- counters --------------------------------------------------------------------
    def reset_counters(self) -> None:
        """Zero every counter (between phases of one test)."""
        with getattr(self, "lock", threading.Lock()):
            self.requests_total = 0
            self.chat_requests = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.path_counts: Counter[str] = Counter()
            self.last_authorization: str | None = None
            self.last_api_key_header: str | None = None
            self.chat_bodies: list[dict[str, Any]] = []

    # -- behaviour used by the handler -------------------------------------------------
    def fault_for(self, index: int, body: dict[str, Any]) -> Fault | None:
        """The fault to inject for chat request ``index`` (None = answer normally)."""
        if self.faults is not None:
            if callable(self.faults):
                fault = _as_fault(self.faults(index, body))
            else:
                fault = _as_fault(self.faults[index]) if index < len(self.faults) else None
            if fault is not None:
                return fault
        if self.fault_rates:
            with self.lock:
                draw = self._rng.random()
            cumulative = 0.0
            for kind, rate in self.fault_rates.items():
                cumulative += rate
                if draw < cumulative:
                    return self.rate_fault.get(kind) or _as_fault(kind)
        return None

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
        """``http://127.0.0.1:<port>`` (where ``/health`` lives)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:<port>/v1``."""
        return f"{self.root_url}/v1"

    def start(self) -> LoopbackServer:
        """Bind to a free port and serve on a daemon thread."""
        if self._httpd is not None:
            return self
        self.stopping.clear()
        httpd = _Server(("127.0.0.1", 0), _Handler)
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
        """Stop serving, wake stalled handlers and close the listening socket."""
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

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def dead_port() -> int:
    """A local port with nothing listening (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dead_base_url() -> str:
    """An OpenAI base URL on a port with nothing listening (connection refused)."""
    return f"http://127.0.0.1:{dead_port()}/v1"
