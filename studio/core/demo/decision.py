"""Demo decision: the answers a bank's support team would give for intent routing.

The banking intent task of the demo (banking77's 77 intents, PolyAI, CC BY 4.0) is the
textbook "narrow, high-volume" row of the decision table: a fixed taxonomy, 8,000
queries a day, a latency budget for live chat, confidential customer text. The answers
are saved in the project; when the demo already holds a dataset and evaluation runs, the
decision computed from them is saved too, so the demo opens on a finished report.
"""

from __future__ import annotations

import logging
from datetime import date

from studio.core.db.project import Project
from studio.core.decide.answers import DecisionAnswers
from studio.core.decide.store import save_answers, save_report
from studio.core.errors import UserError

log = logging.getLogger(__name__)

DEMO_ANSWERS: dict[str, object] = {
    "must_change": ["narrow_high_volume"],
    "knowledge_changes": "rarely",
    "calls_per_day": 8000,
    "latency_target_p95_ms": 1200,
    "data_sensitivity": "confidential",
    "residency": "any",
    "allowed_platforms": ["openai", "vertex", "together", "local"],
    # the demo team fine-tuned on OpenAI before, so it may still start jobs there
    "openai_fine_tuning_access": "yes",
    "quality_target": 0.85,
    "current_model": "gpt-4.1",
    "candidate_model": "gpt-4.1-mini",
}


def demo_answers() -> DecisionAnswers:
    """The demo's answers as :class:`DecisionAnswers`."""
    return DecisionAnswers.from_dict(DEMO_ANSWERS, source="the demo answers")


def add_demo_decision(
    project: Project, *, today: date | None = None, with_report: bool = True
) -> DecisionAnswers:
    """Save the demo answers (and, if the project has evidence, the decision) in ``project``.

    Args:
        project: the demo project (prompts, dataset and runs added before, if any).
        today: the date of the report (default: the clock's date).
        with_report: compute and save the decision from the project's evidence too.
    """
    answers = demo_answers()
    save_answers(project, answers)
    if with_report:
        # Imported here: the report pulls in the dataset and format machinery, which the
        # answers alone do not need.
        from studio.core.decide.compute import compute_decision

        try:
            decision = compute_decision(project, answers, today=today or date.today())
        except UserError as exc:  # a demo without prices still gets its answers
            log.warning("demo decision not computed: %s", exc.message)
        else:
            save_report(project, decision.to_json())
    return answers
