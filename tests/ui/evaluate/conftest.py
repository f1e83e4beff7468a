"""Fixtures for the Evaluate view: a demo project copy, a banking "model" on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eval_banking import BankingResponder, labels_by_text
from helpers.loopback_server import LoopbackServer


@pytest.fixture
def banking_server_factory(project_file: Path) -> Iterator[Callable[..., LoopbackServer]]:
    """``factory(latency=...)``: a started loopback server answering banking intents."""
    mapping, intents = labels_by_text(project_file)
    servers: list[LoopbackServer] = []

    def make(latency: float = 0.002, **kwargs: object) -> LoopbackServer:
        server = LoopbackServer(
            latency=latency, responder=BankingResponder(mapping, intents), **kwargs
        )  # type: ignore[arg-type]
        servers.append(server.start())
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def project_file(project_file: Path) -> Path:
    """The demo copy without its recorded A/B run: these tests start from no runs."""
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(project_file)) as conn, conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM eval_run")
        conn.execute("DELETE FROM response_cache")
    return project_file
