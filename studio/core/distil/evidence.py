"""What a distillation produced, as evidence: review counts, agreement, teacher accuracy.

Computed from the ``candidate`` and ``example`` tables of one dataset (ISSUE 13 §4):

* **Review counts** — candidates by status (``accepted``, ``rejected``, ``pending``,
  ``failed``), every stored candidate counted once; ``audit`` answers (the teacher on rows
  with a human ideal, ``distil outputs --audit``) counted apart, never as candidates.
* **Acceptance by label** — classification datasets: per label (the candidate's label,
  else the label read from its answer as the label scorer reads it; ``"(none)"`` when
  no label was recognised) the accepted count and the reviewed count (accepted + rejected).
* **Agreement distribution** — non-failed candidates bucketed by ``agreement`` (the
  share of ``--samples`` equal to the majority answer): exactly ``"1.0"``, then
  ``"0.8–1.0"``, ``"0.6–0.8"``, ``"0.4–0.6"``, ``"0–0.4"`` (lower bound inclusive), and
  ``"single sample"`` when one sample was drawn (agreement unknown). Audit answers are
  left out (they are not candidates for the training set).
* **Teacher accuracy** — on rows that also have a human ideal: ``ideal_source =
  "human"``, or an *approved* row with an ideal and no recorded source (written before
  distillation existed, so by a person or an import). The row's newest valid candidate
  (pending, accepted, rejected or audit) is compared with the human ideal the way the
  task's scorer compares: the label for classification
  (:class:`~studio.core.evals.scorers.LabelMatch`), JSON data equality for JSON and
  tool-call outputs (:class:`~studio.core.evals.json_scorers.JsonEqual`),
  normalised text otherwise (:class:`~studio.core.evals.scorers.NormalisedMatch`). The
  95 % interval is the studio's one Wilson interval
  (:func:`studio.core.evals.stats.wilson_interval`). ``teacher_from_audit`` of the
  ``teacher_compared`` rows were compared through an audit answer, the others through a
  candidate of the review (a row a person decided after the teacher answered).
* **Who judged** — candidates with a judge score (audit answers left out) by the judge
  that gave it (``"grader@2 (gpt-4o)"``, or ``"judge not recorded"`` for scores written
  before migration 0008), and the same for the accepted ones: scores of different judges
  are on different scales, so more than one judge among the accepted is said
  (``mixed_judges``); the accepted candidates' median score (``accepted_judge_median``,
  which Decide's report cites when one judge gave them all).
* **Where ideals came from** — rows with an ideal output (or a label, for
  classification) by ``ideal_source``: human, teacher, unknown; and synthetic inputs
  (``example.source = "synthetic"``).

Nothing here writes to the project.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from studio.core.datasets.catalog import get_dataset
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn
from studio.core.distil.run_judge import judge_mix, mixed_judges_sentence
from studio.core.errors import ValidationError
from studio.core.evals.json_scorers import JsonEqual
from studio.core.evals.scorers import LabelMatch, NormalisedMatch
from studio.core.evals.stats import wilson_interval

SINGLE_SAMPLE = "single sample"
NO_LABEL = "(none)"
# Bucket names in display order; each (name, lower bound inclusive) below "1.0"
AGREEMENT_BUCKETS: tuple[tuple[str, float], ...] = (
    ("0.8–1.0", 0.8),
    ("0.6–0.8", 0.6),
    ("0.4–0.6", 0.4),
    ("0–0.4", 0.0),
)
BUCKET_ORDER: tuple[str, ...] = ("1.0", *(b for b, _ in AGREEMENT_BUCKETS), SINGLE_SAMPLE)


@dataclass(frozen=True)
class DistilEvidence:
    """One dataset's distillation evidence (see the module docstring)."""

    accepted: int
    rejected: int
    pending: int
    failed: int
    by_label: dict[str, tuple[int, int]]  # label -> (accepted, reviewed)
    agreement_hist: dict[str, int]  # bucket -> count ("1.0", "0.8–1.0", ...)
    teacher_correct: int
    teacher_compared: int  # rows with a human ideal and a valid candidate
    teacher_accuracy_ci: tuple[float, float] | None  # Wilson 95 %; None when nothing compared
    human_ideals: int
    teacher_ideals: int
    synthetic_inputs: int
    # Rows with an ideal whose author is not recorded (from before distillation)
    unknown_ideals: int = 0
    dataset: str = ""
    task_type: str = ""
    cost_usd: float | None = field(default=None)
    audit: int = 0  # audit answers stored (valid or not)
    teacher_from_audit: int = 0  # of teacher_compared: compared through an audit answer
    audit_correct: int = 0  # of teacher_from_audit: the teacher matched the human ideal
    # judge name -> scored candidates / accepted scored candidates (run_judge.judge_mix)
    judges: dict[str, int] = field(default_factory=dict)
    accepted_judges: dict[str, int] = field(default_factory=dict)
    # median judge score of the accepted candidates (None: none scored); one scale only
    # when accepted_judges has one judge
    accepted_judge_median: float | None = None

    @property
    def mixed_judges(self) -> str:
        """A sentence when the accepted candidates' scores come from several judges."""
        return mixed_judges_sentence(self.accepted_judges, "accepted candidates' judge scores")

    @property
    def reviewed(self) -> int:
        """Candidates a person decided on."""
        return self.accepted + self.rejected

    @property
    def candidates(self) -> int:
        """Every stored candidate."""
        return self.accepted + self.rejected + self.pending + self.failed

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted / reviewed, or None before any review."""
        return self.accepted / self.reviewed if self.reviewed else None

    @property
    def teacher_accuracy(self) -> float | None:
        """Teacher correct / compared, or None when no row has both."""
        return self.teacher_correct / self.teacher_compared if self.teacher_compared else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``studio distil stats --json``)."""
        ci = self.teacher_accuracy_ci
        return {
            "dataset": self.dataset,
            "task_type": self.task_type,
            "candidates": self.candidates,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "pending": self.pending,
            "failed": self.failed,
            "acceptance_rate": self.acceptance_rate,
            "by_label": {k: {"accepted": a, "reviewed": r} for k, (a, r) in self.by_label.items()},
            "agreement": dict(self.agreement_hist),
            "teacher": {
                "correct": self.teacher_correct,
                "compared": self.teacher_compared,
                "accuracy": self.teacher_accuracy,
                "ci95": list(ci) if ci is not None else None,
                "from_audit": self.teacher_from_audit,
                "audit_correct": self.audit_correct,
                "from_review": self.teacher_compared - self.teacher_from_audit,
            },
            "audit": self.audit,
            "ideals": {
                "human": self.human_ideals,
                "teacher": self.teacher_ideals,
                "unknown": self.unknown_ideals,
            },
            "synthetic_inputs": self.synthetic_inputs,
            "cost_usd": self.cost_usd,
            "judges": {"scored": dict(self.judges), "accepted": dict(self.accepted_judges)},
        }


def agreement_bucket(agreement: float | None) -> str:
    """The histogram bucket of one candidate's agreement."""
    if agreement is None:
        return SINGLE_SAMPLE
    if agreement >= 1.0:
        return "1.0"
    for name, low in AGREEMENT_BUCKETS:
        if agreement >= low:
            return name
    return AGREEMENT_BUCKETS[-1][0]


class _Comparer:
    """Compares a teacher answer with a human ideal the way the task's scorer does."""

    def __init__(self, task_type: str, labels: list[str]) -> None:
        self.task_type = task_type
        self._label = LabelMatch(labels or None)
        self._json = JsonEqual()
        self._text = NormalisedMatch()

    def label_of(self, output: str | None) -> str | None:
        """The label an answer names, read as the label scorer reads it."""
        return self._label.extract(output) if output else None

    def same(
        self,
        *,
        output: str | None,
        cand_label: str | None,
        kind: str,
        ideal: str | None,
        ideal_label: str | None,
    ) -> bool:
        if self.task_type == "classification":
            want = ideal_label or ideal
            got = cand_label if cand_label is not None else self._label.extract(output or "")
            if want is None or got is None:
                return False
            return self._label.match_kind(got, want) is not None
        if output is None or ideal is None:
            return False
        if kind in ("json", "tool_calls") or self.task_type == "extraction":
            try:
                return bool(self._json.score(output, ideal).passed)
            except ValidationError:  # the human ideal is not JSON: compare as text
                return bool(self._text.score(output, ideal).passed)
        return bool(self._text.score(output, ideal).passed)


def _has_ideal(task_type: str, ideal: str | None, label: str | None) -> bool:
    if ideal is not None and ideal.strip():
        return True
    return task_type == "classification" and bool(label)


def distil_evidence(project: Project, dataset: str | int) -> DistilEvidence:
    """The distillation evidence of ``dataset`` (name or id).

    Raises:
        NotFoundError: no such dataset.
    """
    info = get_dataset(project, dataset)
    comparer = _Comparer(info.task_type, info.label_set)
    with read_conn(project) as conn:
        cands = conn.execute(
            text(
                "SELECT id, example_id, status, label, agreement, valid, output, output_kind, "
                "cost_usd, judge_score, judge_ref, judge_model FROM candidate "
                "WHERE dataset_id = :d ORDER BY id"
            ),
            {"d": info.id},
        ).all()
        examples = conn.execute(
            text(
                "SELECT id, ideal_output, label, status, ideal_source, source, output_kind "
                "FROM example WHERE dataset_id = :d"
            ),
            {"d": info.id},
        ).all()

    status = Counter(str(c.status) for c in cands)
    by_label: dict[str, list[int]] = {}
    hist: Counter[str] = Counter()
    newest_valid: dict[int, Any] = {}
    cost: float | None = None
    for c in cands:
        if c.cost_usd is not None:
            cost = (cost or 0.0) + float(c.cost_usd)
        if c.status == "failed":
            continue
        if c.status != "audit":
            hist[agreement_bucket(c.agreement)] += 1
        if c.valid:
            newest_valid[int(c.example_id)] = c  # ordered by id: the last one wins
        if info.task_type == "classification" and c.status in ("accepted", "rejected"):
            label = c.label or comparer.label_of(c.output)
            acc_rev = by_label.setdefault(label or NO_LABEL, [0, 0])
            acc_rev[1] += 1
            if c.status == "accepted":
                acc_rev[0] += 1

    human = teacher = unknown = synthetic = 0
    correct = compared = from_audit = audit_correct = 0
    for e in examples:
        if e.source == "synthetic":
            synthetic += 1
        if not _has_ideal(info.task_type, e.ideal_output, e.label):
            continue
        src = e.ideal_source or ""
        if src == "human":
            human += 1
        elif src == "teacher":
            teacher += 1
        else:
            unknown += 1
        human_ideal = src == "human" or (src == "" and e.status == "approved")
        cand = newest_valid.get(int(e.id))
        if not human_ideal or cand is None:
            continue
        compared += 1
        from_audit += cand.status == "audit"
        if comparer.same(
            output=cand.output,
            cand_label=cand.label,
            kind=str(cand.output_kind or e.output_kind or "text"),
            ideal=e.ideal_output,
            ideal_label=e.label,
        ):
            correct += 1
            audit_correct += cand.status == "audit"

    scored = [c for c in cands if c.judge_score is not None and c.status != "audit"]
    accepted_scores = [float(c.judge_score) for c in scored if c.status == "accepted"]
    return DistilEvidence(
        accepted_judge_median=statistics.median(accepted_scores) if accepted_scores else None,
        judges=judge_mix((c.judge_ref, c.judge_model) for c in scored),
        accepted_judges=judge_mix(
            (c.judge_ref, c.judge_model) for c in scored if c.status == "accepted"
        ),
        accepted=status["accepted"],
        rejected=status["rejected"],
        pending=status["pending"],
        failed=status["failed"],
        by_label={k: (v[0], v[1]) for k, v in sorted(by_label.items())},
        agreement_hist={b: hist[b] for b in BUCKET_ORDER if hist[b]},
        teacher_correct=correct,
        teacher_compared=compared,
        teacher_accuracy_ci=wilson_interval(correct, compared) if compared else None,
        human_ideals=human,
        teacher_ideals=teacher,
        synthetic_inputs=synthetic,
        unknown_ideals=unknown,
        dataset=info.name,
        task_type=info.task_type,
        cost_usd=cost,
        audit=status["audit"],
        teacher_from_audit=from_audit,
        audit_correct=audit_correct,
    )
