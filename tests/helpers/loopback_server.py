"""The loopback server tests use: the demo's simulated model plus every fault the runner
must survive.

:class:`LoopbackServer` is :class:`~studio.core.demo.simulated_server.SimulatedModelServer`
(HTTP, keep-alive, no Nagle stall, usage, counters) with test-only behaviour added
through its handler hooks: 429 with ``Retry-After``, 500, 503 "Loading model" for the
first seconds, stalls longer than the client's read timeout, garbage bodies, connections
dropped without a response, a required API key, unknown models, and a record of the
credentials and bodies it received.

Usage::

    with LoopbackServer(latency=0.05, faults=["429", None]) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="x")
"""

from __future__ import annotations

import random
import select
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self, cast

from studio.core.demo.simulated_server import (
    Endpoint,
    Responder,
    SimulatedModelHandler,
    SimulatedModelServer,
    echo_responder,
)

FaultKind = Literal["429", "500", "503", "stall", "garbage", "drop"]
FAULT_KINDS: tuple[str, ...] = ("429", "500", "503", "stall", "garbage", "drop")

__all__ = [
    "FAULT_KINDS",
    "Fault",
    "FaultKind",
    "FaultSchedule",
    "FaultSpec",
    "LoopbackServer",
    "Responder",
    "dead_base_url",
    "dead_port",
    "echo_responder",
]


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


def _as_fault(spec: FaultSpec) -> Fault | None:
    if spec is None or isinstance(spec, Fault):
        return spec
    if spec not in FAULT_KINDS:
        raise ValueError(f"Unknown fault kind {spec!r}; use one of {', '.join(FAULT_KINDS)}.")
    return Fault(kind=spec)  # type: ignore[arg-type]


class _Handler(SimulatedModelHandler):
    """The simulated model's handler with the test behaviour in its hooks."""

    @property
    def owner(self) -> LoopbackServer:
        return cast("LoopbackServer", self.server.owner)

    def note_request(self, owner: SimulatedModelServer) -> None:
        with owner.lock:
            auth = self.headers.get("Authorization")
            if auth is not None:
                self.owner.last_authorization = auth
            api_key = self.headers.get("api-key")
            if api_key is not None:
                self.owner.last_api_key_header = api_key

    def refuse(self, endpoint: Endpoint, body: dict[str, Any] | None) -> bool:
        owner = self.owner
        if endpoint == "chat" and owner.record_bodies and body is not None:
            with owner.lock:
                owner.chat_bodies.append(body)
        if self._loading_reply():
            return True
        if endpoint == "health":
            return False
        if not self._auth_ok(owner):
            return True
        if (
            endpoint == "chat"
            and body is not None
            and owner.known_models_only
            and body.get("model") not in owner.models
        ):
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
            return True
        return False

    def interfere(self, index: int, body: dict[str, Any], delay: float) -> bool:
        owner = self.owner
        fault = owner.fault_for(index, body)
        if fault is None:
            return False
        if fault.kind == "stall":
            owner.sleep(fault.stall_s)
            return False  # then answers normally, after the usual latency
        owner.sleep(delay)
        if fault.kind == "drop":
            self._drop()
        else:
            self._send_fault(fault)
        return True

    def _loading_reply(self) -> bool:
        owner = self.owner
        if owner.loading_for_s > 0 and time.monotonic() - owner.started_at < owner.loading_for_s:
            self._send_json(
                503,
                {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}},
            )
            return True
        return False

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


class LoopbackServer(SimulatedModelServer):
    """The simulated model server with faults, key checks and request records.

    Args:
        latency, responder, include_usage, exact_usage, models: as
            :class:`~studio.core.demo.simulated_server.SimulatedModelServer`.
        faults: a schedule by chat-request index: a sequence (index past the end = no
            fault) or a callable ``(index, request_json) -> Fault | kind | None``.
        fault_rates: probability per kind, e.g. ``{"429": 0.1}``; drawn with ``seed``.
        rate_fault: the :class:`Fault` template used for ``fault_rates`` draws of a kind
            (e.g. to set ``retry_after``); keyed by kind.
        loading_for_s: answer 503 "Loading model" (llama.cpp's body) to everything for
            the first seconds after :meth:`start`.
        known_models_only: answer 404 ``model_not_found`` for other models.
        require_key: answer 401 unless ``Authorization: Bearer <key>`` (or ``api-key``).
        record_bodies: keep every chat request body in :attr:`chat_bodies`.
    """

    handler_class = _Handler

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
        self.faults = faults
        self.fault_rates = dict(fault_rates or {})
        for kind in self.fault_rates:
            _as_fault(kind)
        self.rate_fault = dict(rate_fault or {})
        self._rng = random.Random(seed)
        self.loading_for_s = loading_for_s
        self.known_models_only = known_models_only
        self.require_key = require_key
        self.record_bodies = record_bodies
        super().__init__(
            latency=latency,
            responder=responder,
            include_usage=include_usage,
            exact_usage=exact_usage,
            models=models,
        )

    def _zero_counters(self) -> None:
        super()._zero_counters()
        self.last_authorization: str | None = None
        self.last_api_key_header: str | None = None
        self.chat_bodies: list[dict[str, Any]] = []

    # -- settling after a cancel ---------------------------------------------------------
    def start(self) -> Self:
        """Start serving, counting connections from their accept to their close."""
        if self._httpd is not None:
            return self
        super().start()
        httpd = self._httpd
        assert httpd is not None
        self._open_connections = 0
        self._accepting = threading.Lock()
        accept, close = httpd.get_request, httpd.shutdown_request

        def get_request() -> tuple[Any, Any]:
            # serve_forever accepts only once select() saw a connection waiting, so this
            # lock is held for one non-blocking accept: settle() sees a connection either
            # still waiting or counted, never in between
            with self._accepting:
                accepted = accept()
                self._open_connections += 1
            return accepted

        def shutdown_request(request: Any) -> None:
            try:
                close(request)
            finally:
                with self._accepting:
                    self._open_connections -= 1

        httpd.get_request = get_request  # type: ignore[method-assign]
        httpd.shutdown_request = shutdown_request  # type: ignore[method-assign]
        return self

    def settle(self, timeout_s: float = 60.0) -> None:
        """Wait until every connection a client made has been served and closed.

        A cancelled run closes its client at once, but a request it had fully sent before
        the cancel may still wait to be accepted or read by this server, and is counted
        when it is. Call this after the client side has finished, before reading the
        counters, so that what a cancel left in flight is counted in the phase that sent
        it: on a busy machine that can land well after the run returned.

        Raises:
            AssertionError: a connection is still open after ``timeout_s`` (a client that
                was not closed, or a handler stalled on purpose).
        """
        httpd = self._httpd
        assert httpd is not None, "the loopback server is not started"
        deadline = time.monotonic() + timeout_s
        while True:
            with self._accepting:
                waiting = bool(select.select([httpd.socket], [], [], 0)[0])
                open_now = self._open_connections
            if not waiting and open_now == 0:
                return
            assert time.monotonic() < deadline, (
                f"loopback server not settled after {timeout_s} s: "
                f"{open_now} connection(s) open, one waiting: {waiting}"
            )
            time.sleep(0.01)

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


def dead_port() -> int:
    """A local port with nothing listening (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dead_base_url() -> str:
    """An OpenAI base URL on a port with nothing listening (connection refused)."""
    return f"http://127.0.0.1:{dead_port()}/v1"
