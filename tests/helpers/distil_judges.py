"""A second judge for the judge-identity tests: ``grader@3`` on model ``loopback-judge-2``.

``grader@1`` (model ``loopback-judge``, :mod:`helpers.distil_judge`) answers from the hand
table; ``grader@3`` answers ``[[6]]`` to everything: a score of 0.6 by the documented
rule (a whole number on the ten-point scale). ``grader@prod`` is a label on version 1.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

from helpers.ab_project import query_index
from helpers.distil_judge import JUDGE_MODEL, TeacherAndJudge
from studio.core.db.project import open_project
from studio.core.prompts import service as prompts
from studio.core.prompts.spec import Message, PromptSpec

SECOND_MODEL = "loopback-judge-2"
SECOND_ANSWER = "[[6]]"
SECOND_SCORE = 0.6  # by hand: 6 on the ten-point scale


def add_second_judge(path: Path | str) -> None:
    """``grader@3`` (after :func:`helpers.distil_judge.add_judge_prompts`) and the label
    ``prod`` on ``grader@1``."""
    project = open_project(path)
    try:
        spec = PromptSpec(
            messages=(
                Message("system", "Grade the answer. End with [[N]]."),
                Message("user", "Input: {{input}}\nAnswer: {{output}}"),
            ),
            model=SECOND_MODEL,
            params={"temperature": 0},
        )
        saved = prompts.save_version(project, "grader", spec, "second judge", author="bob")
        assert saved.version == 3
        prompts.set_label(project, "grader", "prod", 1, actor="alice")
    finally:
        project.close()


class TwoJudges(TeacherAndJudge):
    """The teacher, ``grader@1``'s table and ``grader@3``'s constant answer; counts the
    second judge's calls per query (``second_calls``)."""

    def __init__(self, labels: dict[int, str]) -> None:
        super().__init__(labels)
        self.second_calls: Counter[int] = Counter()
        self._lock2 = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> str:
        if body.get("model") == SECOND_MODEL:
            with self._lock2:
                self.second_calls[query_index(body)] += 1
            return SECOND_ANSWER
        return super().__call__(body)


__all__ = ["JUDGE_MODEL", "SECOND_MODEL", "SECOND_SCORE", "TwoJudges", "add_second_judge"]
