"""``studio demo-model``: serve the demo's simulated model until Ctrl+C.

    studio demo-model [--port N] [--host 127.0.0.1] [--allow-remote]

An OpenAI-compatible server (``/v1/models``, ``/v1/chat/completions``, ``/health``)
playing every model of the demo project: the teacher ``gpt-4.1``, ``gpt-4.1-mini``,
``gpt-4.1-nano`` and the fine-tuned student (:mod:`studio.core.demo.model`), so the whole
distil loop of README's tour runs with no real model and no key. It is a toy: it listens
on loopback only unless ``--allow-remote`` says otherwise.
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from typing import Any

from studio.cli.common import EXIT_OK, CliUsageError

DEFAULT_PORT = 8077


def register(sub: Any) -> None:
    """Add the ``demo-model`` command."""
    p = sub.add_parser(
        "demo-model",
        help="serve the demo's simulated model (teacher, student, small models) on loopback",
        description="Serve the demo project's simulated model as an OpenAI-compatible server "
        "until Ctrl+C: gpt-4.1 (the teacher), gpt-4.1-mini, gpt-4.1-nano and the fine-tuned "
        "student, answering the demo's banking-intent task with no real model and no key. "
        "Point --base-url at the URL it prints.",
    )
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="HOST",
        help="address to listen on (default 127.0.0.1; only loopback without --allow-remote)",
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a host that is not loopback (the simulated model is a toy: anyone who "
        "can reach the port can use it)",
    )
    p.set_defaults(func=_serve)


def _is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise CliUsageError(f"--port {args.port}: a port is 0-65535.")
    if not _is_loopback(args.host) and not args.allow_remote:
        raise CliUsageError(
            f"--host {args.host} is not a loopback address; the simulated model is a toy "
            "for this machine. Add --allow-remote to listen there anyway."
        )
    from studio.core.demo.model import DEMO_MODELS, demo_model_server

    server = demo_model_server(host=args.host, port=args.port)
    try:
        server.start()
    except OSError as exc:
        raise CliUsageError(
            f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
            "Choose another --port (0 picks a free one)."
        ) from None
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    # Ctrl+C (SIGINT) and a plain `kill` (SIGTERM) both stop it cleanly.
    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"Simulated demo model at {server.base_url}", flush=True)
        print(f"Models: {', '.join(DEMO_MODELS)}", flush=True)
        print("Answers are simulated (not a real model). Ctrl+C stops it.", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        server.stop()
    served = server.chat_requests
    print(f"Stopped after {served} chat request(s).", file=sys.stderr, flush=True)
    return EXIT_OK
