"""A loopback OpenAI-compatible server that records every key it receives and echoes it.

It plays the careless server of issue 10 section 4: every ``Authorization`` (and Azure
``api-key``) header is recorded, and the key it carried comes back in the answers, in
error messages and in the model list, so a test can prove the studio sends a key only
where the user meant and removes it, by value, from everything it stores or prints.

Chat requests whose last user message has an odd ``query <i>`` answer 400 with
``"Invalid request for key <key>"`` (not retried); the others answer 200 with
``"<label> [<first two characters of the system message>] (key <key>)"`` where the label
is taken from the user message when one of ``labels`` appears in it. With
``refuse=True`` every chat request answers 401 ``"Incorrect API key provided: <key>."``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_QUERY = re.compile(r"query (\d+):")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

    def _key(self) -> str:
        auth = self.headers.get("Authorization")
        api_key = self.headers.get("api-key")
        owner = self.server.owner
        with owner.lock:
            owner.authorizations.append(auth)
            owner.api_key_headers.append(api_key)
        if auth and auth.startswith("Bearer "):
            return auth[len("Bearer ") :]
        return api_key or ""

    def _send(self, status: int, obj: object) -> None:
        payload = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        key = self._key()
        if self.path.split("?", 1)[0].rstrip("/").endswith("/models"):
            models = [
                {"id": m, "object": "model", "created": 0, "owned_by": "echo"}
                for m in (*self.server.owner.models, f"echo-{key}")
            ]
            self._send(200, {"object": "list", "data": models})
            return
        self._send(404, {"error": {"message": "no route", "type": "not_found"}})

    def do_POST(self) -> None:
        key = self._key()
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        user = next(
            (
                str(m.get("content"))
                for m in reversed(body.get("messages") or [])
                if m.get("role") == "user"
            ),
            "",
        )
        match = _QUERY.search(user)
        index = int(match.group(1)) if match else 0
        if self.server.owner.refuse:
            self._send(
                401,
                {
                    "error": {
                        "message": f"Incorrect API key provided: {key}.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )
            return
        if index % 2 == 1:
            self._send(
                400,
                {
                    "error": {
                        "message": f"Invalid request for key {key}.",
                        "type": "invalid_request_error",
                    }
                },
            )
            return
        label = next((lab for lab in self.server.owner.labels if lab in user), "unknown")
        system = next(
            (
                str(m.get("content"))
                for m in body.get("messages") or []
                if m.get("role") == "system"
            ),
            "",
        )
        label += f" [{system[:2]}]"  # prompt versions answer differently (preference pairs)
        self._send(
            200,
            {
                "id": "chatcmpl-echo",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "echo"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": f"{label} (key {key})"},
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
            },
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: KeyEchoServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that stopped a run hangs up mid-answer (broken pipe)."""


class KeyEchoServer:
    """Start with ``with KeyEchoServer(labels) as server:``; see the module docstring."""

    def __init__(
        self,
        labels: Sequence[str] = (),
        models: Sequence[str] = ("echo-small",),
        *,
        refuse: bool = False,
    ) -> None:
        self.labels = tuple(labels)
        self.refuse = refuse  # answer every chat request 401, echoing the key
        self.models = tuple(models)
        self.lock = threading.Lock()
        self.authorizations: list[str | None] = []
        self.api_key_headers: list[str | None] = []
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True, name="key-echo-server"
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def keys_received(self) -> set[str | None]:
        """Every distinct Authorization header value received (None: none sent)."""
        with self.lock:
            return set(self.authorizations)

    def __enter__(self) -> KeyEchoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
