"""Shared test helpers: a loopback OpenAI-compatible server, providers, work items, greps.

Import as ``from helpers import ...`` (``tests/`` is on ``sys.path`` via its conftest).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from helpers.loopback_server import Fault, LoopbackServer, dead_base_url, dead_port
from studio.core.evals.calls import WorkItem
from studio.core.llm.providers import ProviderConfig

# banking77 (PolyAI, CC BY 4.0: tests/data/banking77/README.md), vendored so no test skips.
BANKING77 = Path(__file__).resolve().parents[1] / "data" / "banking77"

# A key that must never show up in any file, cache, sink or log.
SENTINEL_KEY = "sk-SENTINEL-0123456789abcdefghijKLMNOP"

__all__ = [
    "BANKING77",
    "SENTINEL_KEY",
    "Fault",
    "LoopbackServer",
    "chat_items",
    "dead_base_url",
    "dead_port",
    "files_containing",
    "loopback",
    "provider_for",
]


@contextmanager
def loopback(**kwargs: Any) -> Iterator[LoopbackServer]:
    """A started :class:`LoopbackServer` (keyword args as its constructor), stopped after."""
    server = LoopbackServer(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def provider_for(
    server: LoopbackServer | str, *, kind: str = "compatible", name: str = "loopback"
) -> ProviderConfig:
    """A provider pointing at ``server`` (or a base URL)."""
    base_url = server if isinstance(server, str) else server.base_url
    api_version = "2024-10-21" if kind == "azure" else None
    if kind == "azure" and base_url.endswith("/v1"):
        base_url = base_url[: -len("/v1")]
    return ProviderConfig(name=name, base_url=base_url, kind=kind, api_version=api_version)  # type: ignore[arg-type]


def chat_items(
    n: int,
    variants: tuple[str, ...] = ("A", "B"),
    *,
    model: str = "loopback-small",
    params: dict[str, Any] | None = None,
) -> list[WorkItem]:
    """``n`` examples x ``variants``: distinct user messages ``"<variant> question <i>"``."""
    return [
        WorkItem(
            variant_key=v,
            example_id=i,
            messages=[
                {"role": "system", "content": f"You are prompt version {v}."},
                {"role": "user", "content": f"{v} question {i}"},
            ],
            model=model,
            params=dict(params or {"temperature": 0}),
        )
        for v in variants
        for i in range(n)
    ]


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``needle`` (UTF-8)."""
    raw = needle.encode("utf-8")
    return [p for p in root.rglob("*") if p.is_file() and raw in p.read_bytes()]
