"""Reading a single-answer judge's score: every accepted form normalised to 0–1.

The rule (ISSUE 13 §3, the optional judge score of a teacher candidate):

* Where the score is read: the whole answer when it is only a score ("7/10", "0.8",
  "pass"); else the last mark in the answer — ``[[X]]`` (MT-bench style) or a word
  ``score``/``rating``/``grade``/``verdict``/``result`` followed by ``X`` ("Score: 7/10",
  "Rating = 8", "Verdict: pass"). Judges reason first and decide last, so the last mark
  wins (as :func:`studio.core.evals.judge.parse_judge_choice`).
* What ``X`` may be, and its value:

  - ``N/M`` or ``N out of M`` -> N / M (0 ≤ N ≤ M, M > 0): "7/10" = 0.7, "4/5" = 0.8;
  - ``N%`` -> N / 100 (0–100): "85%" = 0.85;
  - a whole number 0–10 is on a ten-point scale: "8" = "[[8]]" = 0.8, "10" = 1.0,
    "1" = 0.1 (MT-bench's single-answer grades are 1–10);
  - a number with a decimal point: 0–1 is already a share ("0.8" = 0.8, "1.0" = 1.0),
    above 1 up to 10 is on the ten-point scale ("7.5" = 0.75);
  - ``pass``/``passed``/``yes``/``correct`` = 1.0, ``fail``/``failed``/``no``/``incorrect`` = 0.0.

* Anything else is unreadable: the score is None (null) and the reason says why (no
  score found, or a score out of its range such as "12/10"). A score is never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"\d+(?:\.\d+)?|\.\d+"
_VALUE = (
    rf"(?:(?P<n>{_NUM})\s*(?:(?:/|out\s+of)\s*(?P<m>{_NUM})|(?P<pct>%))?"
    r"|(?P<w>passed|pass|failed|fail|yes|no|correct|incorrect)\b)"
)
_WHOLE = re.compile(rf"\s*{_VALUE}\s*", re.IGNORECASE)
_MARKS = (
    re.compile(rf"\[\[\s*{_VALUE}\s*\]\]", re.IGNORECASE),
    re.compile(
        rf"\b(?:score|rating|grade|verdict|result)\s*(?:is)?\s*[:=]?\s*\**\s*{_VALUE}",
        re.IGNORECASE,
    ),
)
_WORDS = {
    "pass": 1.0,
    "passed": 1.0,
    "yes": 1.0,
    "correct": 1.0,
    "fail": 0.0,
    "failed": 0.0,
    "no": 0.0,
    "incorrect": 0.0,
}


@dataclass(frozen=True, slots=True)
class ReadScore:
    """A judge answer read: ``score`` in 0–1, or None with the ``reason``."""

    score: float | None
    reason: str = ""


def _clip(text: str, n: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def _value(m: re.Match[str]) -> ReadScore:
    word = m.group("w")
    if word is not None:
        return ReadScore(_WORDS[word.lower()])
    raw = m.group("n")
    n = float(raw)
    if m.group("m") is not None:
        top = float(m.group("m"))
        if top <= 0 or n > top:
            return ReadScore(None, f"the score {raw}/{m.group('m')} is outside 0 to {m.group('m')}")
        return ReadScore(n / top)
    if m.group("pct") is not None:
        if n > 100:
            return ReadScore(None, f"the score {raw}% is above 100%")
        return ReadScore(n / 100)
    if "." not in raw:  # a whole number: ten-point scale
        if n > 10:
            return ReadScore(None, f"the score {raw} is outside the 0–10 scale")
        return ReadScore(n / 10)
    if n <= 1:
        return ReadScore(n)
    if n <= 10:
        return ReadScore(n / 10)
    return ReadScore(None, f"the score {raw} is outside the 0–10 scale")


def read_judge_score(text: str | None) -> ReadScore:
    """The score in a judge's answer, normalised to 0–1 (see the module docstring)."""
    if text is None or not text.strip():
        return ReadScore(None, "the judge's answer was empty")
    bare = text.strip().strip(".*\"'`").strip()
    whole = _WHOLE.fullmatch(bare)
    if whole is not None:
        return _value(whole)
    last: re.Match[str] | None = None
    for pattern in _MARKS:
        for m in pattern.finditer(text):
            if last is None or m.start() > last.start():
                last = m
    if last is None:
        return ReadScore(None, f"no score in the judge's answer: {_clip(text)!r}")
    return _value(last)
