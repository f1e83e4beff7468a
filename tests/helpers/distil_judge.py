"""A judge prompt for the distil tests and a responder that plays teacher and judge.

The judge prompt ``grader`` (model ``loopback-judge``) shows the row's input, the
teacher's answer and the human ideal; ``grader@2`` has no ``{{output}}`` (refused).
The judge answers query i with ``JUDGE_TABLE[i % len(JUDGE_TABLE)]``; its second
column is the score a person reads from that answer under the documented rule
(studio/core/distil/judge_scores.py), written by hand.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from helpers.ab_project import query_index
from helpers.distil_project import TeacherResponder
from studio.core.db.project import open_project
from studio.core.prompts import service as prompts
from studio.core.prompts.spec import Message, PromptSpec

JUDGE_MODEL = "loopback-judge"
# (the judge's answer, the score 0-1 it means; None = unreadable)
JUDGE_TABLE: list[tuple[str, float | None]] = [
    ("Score: 7/10", 0.7),
    ("[[8]]", 0.8),
    ("0.8", 0.8),
    ("pass", 1.0),
    ("FAIL", 0.0),
    ("The answer names the right intent. Rating: [[9]]", 0.9),
    ("4 out of 5", 0.8),
    ("85%", 0.85),
    ("Score: 12/10", None),
    ("looks fine to me", None),
    ("1.0", 1.0),
    ("Score: 3/10, then on reflection Score: 2/10", 0.2),
]
_IDEAL = re.compile(r"Ideal: (.*)$", re.MULTILINE)


def expected_score(i: int) -> float | None:
    """The hand-read score of query i's judge answer."""
    return JUDGE_TABLE[i % len(JUDGE_TABLE)][1]


def add_judge_prompts(path: Path) -> None:
    """``grader@1`` (a good judge prompt) and ``grader@2`` (no ``{{output}}``)."""
    project = open_project(path)
    try:
        good = PromptSpec(
            messages=(
                Message("system", "Grade the answer from 0 to 10. End with Score: N/10."),
                Message("user", "Input: {{input}}\nAnswer: {{output}}\nIdeal: {{ideal}}"),
            ),
            model=JUDGE_MODEL,
            params={"temperature": 0},
        )
        bad = PromptSpec(
            messages=(Message("user", "Input: {{input}}. Is it good?"),),
            model=JUDGE_MODEL,
            params={"temperature": 0},
        )
        prompts.save_version(project, "grader", good, "judge", author="alice")
        prompts.save_version(project, "grader", bad, "no output", author="alice")
    finally:
        project.close()


class TeacherAndJudge:
    """The teacher (:class:`TeacherResponder`) and, for ``loopback-judge``, the judge.

    Records per judge call the ideal it was shown (``ideals``, query i -> text).
    """

    def __init__(self, labels: dict[int, str]) -> None:
        self.teacher = TeacherResponder(labels)
        self.judge_calls: Counter[int] = Counter()
        self.ideals: dict[int, str] = {}
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> str:
        if body.get("model") != JUDGE_MODEL:
            return self.teacher(body)
        i = query_index(body)
        user = str(body["messages"][-1]["content"])
        m = _IDEAL.search(user)
        with self._lock:
            self.judge_calls[i] += 1
            self.ideals[i] = m.group(1) if m else ""
        return JUDGE_TABLE[i % len(JUDGE_TABLE)][0]
