"""Distillation as evidence for "fine-tune a small model" (ISSUE 13 §4).

When the dataset's ideal outputs were (partly) written by a teacher — a proven prompt on
a big model, reviewed row by row — the decision should say how good that teacher is and
how much of the training data it wrote: the teacher's accuracy on rows that also have a
human ideal (Wilson 95 % interval), how many teacher answers were accepted of those
reviewed, and how many ideals are human-written, teacher-generated, and how many inputs
synthetic. The figures come from :func:`studio.core.distil.evidence.distil_evidence`;
this module puts them into :class:`~studio.core.decide.evidence.Evidence` with their
provenance, into the report's evidence table, and into the reasons and warnings of a
fine-tune recommendation.
"""

from __future__ import annotations

from studio.core.db.project import Project
from studio.core.decide.evidence import Evidence
from studio.core.decide.reasons import Reason
from studio.core.decide.wording import num
from studio.core.distil.evidence import distil_evidence


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def fill_distil(ev: Evidence, project: Project, dataset_id: int, dataset_name: str) -> None:
    """Fill the distillation fields of ``ev`` when the dataset has any distillation."""
    d = distil_evidence(project, dataset_id)
    if not (d.candidates or d.teacher_ideals or d.synthetic_inputs or d.audit):
        return  # no distillation: the fields stay unknown and the report stays as it was
    where = f"dataset {dataset_name}: distillation (studio distil stats {dataset_name})"
    prov = ev.provenance
    ev.distil_reviewed, ev.distil_accepted = d.reviewed, d.accepted
    prov["distil_reviewed"] = prov["distil_accepted"] = (
        f"{where}: {num(d.candidates)} candidates, {num(d.pending)} pending, {num(d.failed)} failed"
    )
    ev.human_ideals, ev.teacher_ideals = d.human_ideals, d.teacher_ideals
    ev.synthetic_inputs = d.synthetic_inputs
    prov["human_ideals"] = prov["teacher_ideals"] = prov["synthetic_inputs"] = (
        f"{where}: example.ideal_source and example.source ({num(d.unknown_ideals)} ideals "
        "of unknown origin)"
    )
    if len(d.accepted_judges) == 1 and d.accepted_judge_median is not None:
        # one judge: its scores are on one scale, so a median means something
        ((ev.judge, ev.judge_accepted),) = d.accepted_judges.items()
        ev.judge_median = d.accepted_judge_median
        prov["judge"] = prov["judge_accepted"] = prov["judge_median"] = (
            f"{where}: candidate.judge_score of the accepted candidates, with judge_ref and "
            "judge_model"
        )
    if d.teacher_compared:
        ev.teacher_correct, ev.teacher_compared = d.teacher_correct, d.teacher_compared
        ci = d.teacher_accuracy_ci
        if ci is not None:
            ev.teacher_ci_low, ev.teacher_ci_high = ci
        prov["teacher_correct"] = prov["teacher_compared"] = prov["teacher_accuracy"] = (
            f"{where}: the newest valid teacher answer vs the human ideal, compared as the "
            f"task's scorer compares ({d.task_type}); Wilson 95 % interval; n = "
            f"{num(d.teacher_compared)}: {num(d.teacher_from_audit)} audit rows, "
            f"{num(d.teacher_compared - d.teacher_from_audit)} reviewed rows"
        )


def teacher_accuracy_text(e: Evidence) -> str | None:
    """ "2 of 4 rows (50.0 %, 95 % CI 15.0–85.0 %)" or None when nothing was compared."""
    if not e.teacher_compared or e.teacher_correct is None:
        return None
    acc = e.teacher_correct / e.teacher_compared
    ci = (
        f", 95 % CI {_pct(e.teacher_ci_low)}–{_pct(e.teacher_ci_high)}"
        if e.teacher_ci_low is not None and e.teacher_ci_high is not None
        else ""
    )
    return f"{num(e.teacher_correct)} of {num(e.teacher_compared)} rows ({_pct(acc)}{ci})"


def acceptance_text(e: Evidence) -> str | None:
    """ "9 of 10 reviewed (90.0 %)" or None before any review."""
    if not e.distil_reviewed or e.distil_accepted is None:
        return None
    rate = e.distil_accepted / e.distil_reviewed
    return f"{num(e.distil_accepted)} of {num(e.distil_reviewed)} reviewed ({_pct(rate)})"


def distil_rows(e: Evidence) -> list[tuple[str, str, str]]:
    """(label, value, where) rows for the report's evidence table; none without distillation."""
    if e.distil_reviewed is None and e.teacher_ideals is None:
        return []
    rows: list[tuple[str, str, str]] = []
    acc = teacher_accuracy_text(e)
    rows.append(
        (
            "Teacher accuracy vs human ideals",
            acc or "unknown (no row has both)",
            e.where("teacher_accuracy") if acc else "",
        )
    )
    accepted = acceptance_text(e)
    rows.append(
        (
            "Teacher answers accepted",
            accepted or "none reviewed yet",
            e.where("distil_accepted"),
        )
    )
    rows.append(
        (
            "Ideal outputs: human / teacher",
            f"{num(e.human_ideals or 0)} / {num(e.teacher_ideals or 0)}",
            e.where("teacher_ideals"),
        )
    )
    rows.append(("Synthetic inputs", num(e.synthetic_inputs or 0), e.where("synthetic_inputs")))
    if e.judge and e.judge_accepted is not None and e.judge_median is not None:
        rows.append(
            (
                "Judge scores of accepted answers",
                f"judge {e.judge} scored {num(e.judge_accepted)} of the "
                f"{num(e.distil_accepted or 0)} accepted candidates, median {e.judge_median:.2f}",
                e.where("judge_median"),
            )
        )
    return rows


def distil_reasons(e: Evidence) -> list[Reason]:
    """Reasons a fine-tune recommendation adds when the training data was distilled."""
    out: list[Reason] = []
    acc = teacher_accuracy_text(e)
    if acc is not None:
        out.append(
            Reason(
                f"The teacher's answers matched the human ideal on {acc}: the student "
                "learns from a teacher measured against people",
                "evidence",
                "teacher_accuracy",
                round((e.teacher_correct or 0) / (e.teacher_compared or 1), 4),
            )
        )
    accepted = acceptance_text(e)
    if accepted is not None:
        out.append(
            Reason(
                f"Teacher answers accepted in review: {accepted}; "
                f"{num(e.teacher_ideals or 0)} ideal outputs are teacher-generated, "
                f"{num(e.human_ideals or 0)} human-written"
                + (f", {num(e.synthetic_inputs)} inputs synthetic" if e.synthetic_inputs else ""),
                "evidence",
                "distil_accepted",
                e.distil_accepted,
            )
        )
    return out


def distil_warnings(e: Evidence, quality_target: float | None) -> list[str]:
    """A teacher whose accuracy interval falls below the quality target: the student
    inherits its errors."""
    if (
        quality_target is None
        or e.teacher_ci_low is None
        or not e.teacher_compared
        or e.teacher_ci_low >= quality_target
    ):
        return []
    return [
        f"The teacher's accuracy against human ideals may be as low as "
        f"{_pct(e.teacher_ci_low)} (95 % CI lower end, {teacher_accuracy_text(e)}), below "
        f"the quality target {_pct(quality_target)}: a student trained on its answers "
        "inherits its errors; review more teacher answers or compare on more human rows."
    ]
