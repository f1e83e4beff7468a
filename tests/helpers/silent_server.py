"""A server that accepts TCP connections on loopback and never sends a byte.

What the stop rule (``studio.core.evals.limits``) must end: the connection succeeds, so
the "server unreachable" rule never fires, and no answer ever comes.
"""

from __future__ import annotations

import socket
import threading
import time


class SilentServer:
    """Accepts connections on 127.0.0.1, holds them open, never reads or answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.accepted = 0
        self.first_accept_at: float | None = None  # time.monotonic() of the first connection
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.first_accept_at is None:
                self.first_accept_at = time.monotonic()
            self.conns.append(conn)  # held open, never read, never answered

    def close(self) -> None:
        """Stop accepting and close every held connection."""
        self.stop.set()
        self.thread.join(5)
        for c in self.conns:
            c.close()
        self.sock.close()
