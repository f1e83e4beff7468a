"""Scorers: turn a model output (and the example's ideal answer) into pass/score.

Scorers are only called on answers: a call that errored has no output and is never
scored (an error is not a wrong answer; the runner reports it apart).

Every scorer has ``name`` and ``score(output, ideal) -> ScoreResult``. Compiled state
(regexes, JSON Schema validators) is built once in ``__init__``: ``jsonschema.validate()``
per call re-checks the schema and is 20x slower (docs/engineering-facts.md §8).

This module holds the result type and the text and label scorers; the JSON scorers are
in :mod:`.json_scorers` and the pairwise LLM judge, which needs model calls, in
:mod:`.judge`.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from studio.core.errors import ValidationError


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """One scored answer.

    Attributes:
        passed: pass/fail, or None when the scorer gives only a score.
        score: a number in [0, 1] (or the scorer's unit), or None for pass/fail only.
        detail: a short human-readable reason ("expected 'refund', got 'card_lost'").
        fields: per-field match for extraction scorers, else None.
    """

    passed: bool | None
    score: float | None
    detail: str = ""
    fields: dict[str, bool] | None = None


class Scorer(Protocol):
    """Anything with a ``name`` and ``score(output, ideal)``."""

    name: str

    def score(self, output: str, ideal: object = None) -> ScoreResult: ...


def quoted(text: object, limit: int = 60) -> str:
    s = text if isinstance(text, str) else repr(text)
    return repr(s if len(s) <= limit else s[: limit - 1] + "…")


_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’«»…–—")


def normalise_text(text: str) -> str:
    """Case-fold, NFKC, drop punctuation, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_PUNCT)
    return " ".join(text.split())


def verdict(passed: bool, detail: str) -> ScoreResult:
    return ScoreResult(passed=passed, score=1.0 if passed else 0.0, detail=detail)


class ExactMatch:
    """Output equals the ideal text as the user wrote it.

    Surrounding whitespace is ignored (unless ``strip=False``), nothing else: case,
    inner spaces, key order and number spelling all count.
    """

    name = "exact_match"

    def __init__(self, *, strip: bool = True) -> None:
        self.strip = strip

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        want = "" if ideal is None else str(ideal)
        got = output.strip() if self.strip else output
        want = want.strip() if self.strip else want
        if got == want:
            return verdict(True, "exact match")
        return verdict(False, f"expected {quoted(want)}, got {quoted(got)}")


class NormalisedMatch:
    """Equal after :func:`normalise_text` (case, whitespace, punctuation)."""

    name = "normalised_match"

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        want = "" if ideal is None else str(ideal)
        if normalise_text(output) == normalise_text(want):
            return verdict(True, "match after normalising case, spaces and punctuation")
        return verdict(False, f"expected {quoted(want)}, got {quoted(output)}")


LabelMatchKind = Literal["exact", "lenient"]


class LabelMatch:
    """Classification: extract a label from the output and compare with the ideal label.

    Extraction: the whole normalised output if it is a known label (or when no labels are
    given); else the only known label that occurs as a whole phrase in the output (none
    or several = no label). Labels compare after :func:`normalise_text`, with ``_`` and
    ``-`` treated as spaces (``card_arrival`` == "card arrival").
    """

    name = "label_match"

    def __init__(self, labels: Iterable[str] | None = None) -> None:
        self.labels = list(labels) if labels is not None else None
        self._by_norm = {self._norm(label): label for label in self.labels or []}
        self._patterns = [
            (label, re.compile(r"(?<!\w)" + re.escape(norm) + r"(?!\w)"))
            for norm, label in self._by_norm.items()
        ]

    @staticmethod
    def _norm(text: str) -> str:
        return normalise_text(text.replace("_", " ").replace("-", " "))

    def extract(self, output: str) -> str | None:
        """The label the output names, or None."""
        norm = self._norm(output)
        if self.labels is None:
            return norm or None
        if norm in self._by_norm:
            return self._by_norm[norm]
        found = [label for label, pattern in self._patterns if pattern.search(norm)]
        return found[0] if len(found) == 1 else None

    def match_kind(self, output: str, ideal: object = None) -> LabelMatchKind | None:
        """How an answer matched the ideal label: ``"exact"``, ``"lenient"`` or None.

        ``exact``: the answer, surrounding whitespace stripped, is the label character for
        character. ``lenient``: it matched only after normalising (case, ``_``/``-``,
        punctuation) or by finding the label inside a longer answer. None: no match.
        """
        want = "" if ideal is None else str(ideal)
        if output.strip() == want.strip():
            return "exact"
        got = self.extract(output)
        if got is not None and self._norm(got) == self._norm(want):
            return "lenient"
        return None

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        want = "" if ideal is None else str(ideal)
        kind = self.match_kind(output, ideal)
        if kind == "exact":
            return verdict(True, f"label {want.strip()!r} (exact)")
        got = self.extract(output)
        if got is None:
            return verdict(
                False, f"no label recognised in {quoted(output)} (expected {quoted(want)})"
            )
        if kind == "lenient":
            return verdict(True, f"label {got!r} (lenient: found by extraction)")
        return verdict(False, f"expected {want!r}, got {got!r}")


class LabelStrict:
    """Classification, strict: the answer (whitespace stripped) is exactly the label.

    No case folding, no ``_``/``-`` equivalence, no searching inside longer answers.
    """

    name = "label_strict"

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        want = ("" if ideal is None else str(ideal)).strip()
        got = output.strip()
        if got == want:
            return verdict(True, f"label {want!r} (exact)")
        return verdict(False, f"expected exactly {quoted(want)}, got {quoted(got)}")


@dataclass(frozen=True, slots=True)
class ConfusionTable:
    """Counts of (expected, predicted) labels; ``None`` predictions shown as "(none)".

    Attributes:
        labels: row/column order (expected labels first, sorted, then extra predictions).
        counts: ``counts[expected][predicted]``.
    """

    labels: list[str]
    counts: dict[str, dict[str, int]]
    total: int

    @property
    def accuracy(self) -> float | None:
        """Share on the diagonal (None when empty)."""
        if not self.total:
            return None
        return sum(self.counts.get(lb, {}).get(lb, 0) for lb in self.labels) / self.total

    def per_label(self) -> dict[str, tuple[float | None, float | None, int]]:
        """``label -> (precision, recall, support)``; None when undefined."""
        out: dict[str, tuple[float | None, float | None, int]] = {}
        for label in self.labels:
            row = self.counts.get(label, {})
            support = sum(row.values())
            tp = row.get(label, 0)
            predicted = sum(self.counts.get(e, {}).get(label, 0) for e in self.counts)
            out[label] = (
                tp / predicted if predicted else None,
                tp / support if support else None,
                support,
            )
        return out


NO_LABEL = "(none)"


def confusion_table(pairs: Iterable[tuple[str, str | None]]) -> ConfusionTable:
    """Build a :class:`ConfusionTable` from ``(expected, predicted)`` pairs."""
    counts: dict[str, Counter[str]] = {}
    expected_labels: set[str] = set()
    predicted_labels: set[str] = set()
    total = 0
    for expected, predicted in pairs:
        pred = predicted if predicted is not None else NO_LABEL
        counts.setdefault(expected, Counter())[pred] += 1
        expected_labels.add(expected)
        predicted_labels.add(pred)
        total += 1
    extra = sorted(predicted_labels - expected_labels - {NO_LABEL})
    labels = sorted(expected_labels) + extra + ([NO_LABEL] if NO_LABEL in predicted_labels else [])
    return ConfusionTable(
        labels=labels, counts={k: dict(v) for k, v in counts.items()}, total=total
    )


class Contains:
    """The output contains ``text`` (case-insensitive unless ``case_sensitive``)."""

    name = "contains"

    def __init__(self, text: str | None = None, *, case_sensitive: bool = False) -> None:
        self.text = text
        self.case_sensitive = case_sensitive

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        needle = self.text if self.text is not None else ("" if ideal is None else str(ideal))
        hay = output if self.case_sensitive else output.casefold()
        key = needle if self.case_sensitive else needle.casefold()
        if key in hay:
            return verdict(True, f"contains {quoted(needle)}")
        return verdict(False, f"does not contain {quoted(needle)}")


class RegexMatch:
    """The output matches a regular expression (``re.search``), compiled once."""

    name = "regex"

    def __init__(self, pattern: str, *, flags: int = 0) -> None:
        try:
            self._regex = re.compile(pattern, flags)
        except re.error as exc:
            raise ValidationError(
                f"The regular expression {pattern!r} is invalid: {exc}.", where="pattern"
            ) from None

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        if self._regex.search(output):
            return verdict(True, f"matches /{self._regex.pattern}/")
        return verdict(False, f"does not match /{self._regex.pattern}/")
