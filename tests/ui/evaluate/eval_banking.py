"""A banking-intent "model" for the loopback server: right more often with better prompts.

The answers are deterministic (a hash of the message and the prompt's shape), so a run's
verdict is the same every time: version 2 (system prompt only) is right for about 65% of
the demo's test split, version 3 (with two worked examples) for about 86%, with a few
regressions.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from studio.core.db.project import open_project
from studio.core.evals.run_store import load_examples


def labels_by_text(project_file: Path) -> tuple[dict[str, str], list[str]]:
    """``{query text: intent}`` of every example in the project, and the intents."""
    project = open_project(project_file)
    try:
        with project.engine.connect() as conn:
            from sqlalchemy import text

            ids = [int(r[0]) for r in conn.execute(text("SELECT id FROM example")).all()]
        examples = load_examples(project, ids)
    finally:
        project.close()
    mapping = {str(next(iter(e.inputs.values()))): str(e.label) for e in examples if e.inputs}
    return mapping, sorted(set(mapping.values()))


class BankingResponder:
    """``responder(body)`` for :class:`LoopbackServer`."""

    def __init__(self, mapping: dict[str, str], intents: list[str]) -> None:
        self.mapping = mapping
        self.intents = intents

    def __call__(self, body: dict[str, Any]) -> str:
        messages = body.get("messages") or []
        text = str(messages[-1].get("content", "")) if messages else ""
        truth = self.mapping.get(text, self.intents[0])
        few_shot = len(messages) > 2
        digest = hashlib.sha256(text.encode()).digest()
        hardness = digest[0] * 100 // 256
        # v3 fixes most of v2's mistakes but breaks a few answers v2 got right
        right = (hardness < 90 and digest[1] * 100 // 256 >= 4) if few_shot else hardness < 65
        if right:
            return truth
        wrong = [i for i in self.intents if i != truth]
        return wrong[(digest[2] + (7 if few_shot else 0)) % len(wrong)]
