"""The pairwise LLM judge: asks a judge prompt which of two answers is better.

It needs model calls, so it builds :class:`~studio.core.evals.calls.WorkItem` s for the
runner (cached, retried, bounded like any call), asks in both orders (A/B and B/A) and
combines the two verdicts afterwards, so a judge's position bias becomes a tie.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from studio.core.errors import ValidationError
from studio.core.evals.calls import WorkItem

# ------------------------------------------------------------------------- LLM judge
JudgeChoice = Literal["A", "B", "tie"]
JUDGE_VARIABLES = ("input", "output_a", "output_b", "ideal")
_VAR = re.compile(r"\{\{\s*(input|output_a|output_b|ideal)\s*\}\}")
_VERDICT_PATTERNS = (
    re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE),  # MT-bench style, C = tie
    re.compile(
        r"(?:verdict|winner|answer|better)\s*(?:is)?\s*[:=]?\s*\**\s*\"?(A|B|tie)\b", re.IGNORECASE
    ),
)


def fill_judge_messages(
    messages: Sequence[Mapping[str, Any]],
    variables: Mapping[str, str],
    *,
    pattern: re.Pattern[str] = _VAR,
) -> list[dict[str, Any]]:
    """Substitute ``{{input}}``, ``{{output_a}}``, ``{{output_b}}``, ``{{ideal}}``.

    Other ``{{...}}`` text is left alone (the judge prompt may show braces). ``pattern``
    names another judge's variables (group 1 = the name; the single-answer grader of
    :mod:`studio.core.distil.judging` uses ``{{output}}``).
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        copy = dict(message)
        content = copy.get("content")
        if isinstance(content, str):
            copy["content"] = pattern.sub(lambda m: variables.get(m.group(1), ""), content)
        out.append(copy)
    return out


def parse_judge_choice(text: str | None) -> JudgeChoice | None:
    """Read "A", "B" or "tie" from a judge's answer; None when unclear.

    Accepted: the whole answer is A / B / tie; ``[[A]]`` / ``[[B]]`` / ``[[C]]`` (tie);
    "Verdict: A". The last such mark wins (judges reason first, decide last).
    """
    if text is None:
        return None
    bare = text.strip().strip(".*\"'`").strip()
    upper = bare.upper()
    if upper in ("A", "B"):
        return upper  # type: ignore[return-value]
    if upper in ("TIE", "C", "EQUAL"):
        return "tie"
    last: str | None = None
    last_pos = -1
    for pattern in _VERDICT_PATTERNS:
        for match in pattern.finditer(text):
            if match.start() > last_pos:
                last_pos, last = match.start(), match.group(1).upper()
    if last is None:
        return None
    if last in ("C", "TIE"):
        return "tie"
    return last  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class PairwiseJudgement:
    """The combined verdict of a judge asked in both orders.

    Attributes:
        winner: "A", "B", "tie", or None when a judge answer was missing/unreadable.
        first: verdict with A shown first. second: verdict with B shown first, mapped back
            to the real A/B. consistent: both orders agree.
    """

    winner: JudgeChoice | None
    first: JudgeChoice | None
    second: JudgeChoice | None
    consistent: bool
    detail: str


def _swap(choice: JudgeChoice | None) -> JudgeChoice | None:
    return {"A": "B", "B": "A"}.get(choice, choice) if choice else None  # type: ignore[return-value]


def combine_pairwise(
    first: JudgeChoice | None, second_raw: JudgeChoice | None
) -> PairwiseJudgement:
    """Combine the A-first verdict and the B-first verdict (as the judge wrote it).

    A win counts only when the judge prefers the same answer in both orders; any
    disagreement is a tie (position bias cancels out). Missing verdicts give ``None``.
    """
    second = _swap(second_raw)
    if first is None or second is None:
        return PairwiseJudgement(None, first, second, False, "the judge's verdict was unreadable")
    if first == second:
        detail = "tie in both orders" if first == "tie" else f"{first} preferred in both orders"
        return PairwiseJudgement(first, first, second, True, detail)
    return PairwiseJudgement(
        "tie",
        first,
        second,
        False,
        f"orders disagree ({first} when A is shown first, {second} when B is): counted as a tie",
    )


@dataclass(slots=True)
class PairwiseJudge:
    """An LLM judge comparing two outputs, asked in both orders to cancel position bias.

    Args:
        messages: the judge prompt (a versioned prompt's messages) using ``{{input}}``,
            ``{{output_a}}``, ``{{output_b}}`` and ``{{ideal}}``; it must ask for an answer
            of "A", "B" or "tie" (or ``[[A]]``/``[[B]]``/``[[C]]``).
        model: judge model. params: its sampling params (temperature 0 recommended).
        variant_key: prefix of the work items' variant keys.
    """

    messages: list[dict[str, Any]]
    model: str
    params: dict[str, Any] = field(default_factory=lambda: {"temperature": 0})
    variant_key: str = "judge"

    def __post_init__(self) -> None:
        text = " ".join(str(m.get("content", "")) for m in self.messages)
        missing = [
            v for v in ("output_a", "output_b") if "{{" + v + "}}" not in text.replace(" ", "")
        ]
        if missing:
            raise ValidationError(
                "The judge prompt must contain {{output_a}} and {{output_b}}; missing: "
                + ", ".join("{{" + m + "}}" for m in missing)
                + ".",
                where="judge prompt",
            )

    @property
    def keys(self) -> tuple[str, str]:
        """Variant keys of the A-first and the B-first items."""
        return (f"{self.variant_key}:ab", f"{self.variant_key}:ba")

    def work_items(
        self, example_id: int, input_text: str, output_a: str, output_b: str, ideal: str = ""
    ) -> list[WorkItem]:
        """The two judge calls for one example (A first, then B first)."""
        key_ab, key_ba = self.keys
        common = {"input": input_text, "ideal": ideal}
        return [
            WorkItem(
                key_ab,
                example_id,
                fill_judge_messages(
                    self.messages, {**common, "output_a": output_a, "output_b": output_b}
                ),
                self.model,
                dict(self.params),
            ),
            WorkItem(
                key_ba,
                example_id,
                fill_judge_messages(
                    self.messages, {**common, "output_a": output_b, "output_b": output_a}
                ),
                self.model,
                dict(self.params),
            ),
        ]

    def combine(self, answer_ab: str | None, answer_ba: str | None) -> PairwiseJudgement:
        """Combine the judge's two answers (None = that call errored)."""
        return combine_pairwise(parse_judge_choice(answer_ab), parse_judge_choice(answer_ba))


def tally(judgements: Iterable[PairwiseJudgement]) -> tuple[int, int, int, int]:
    """``(b_wins, a_wins, ties, unreadable)``: feed wins/losses to ``stats.sign_test``."""
    counts = Counter(j.winner for j in judgements)
    return counts["B"], counts["A"], counts["tie"], counts[None]
