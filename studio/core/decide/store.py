"""The decision form's answers and the last report, saved in the project file.

One row (id 1) of ``decision_answers`` holds the latest answers as JSON (the same
fields as the CLI's answers file) and, once computed, the last decision's JSON, so the
app can show the last report on opening and the demo project can ship one.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from studio.core.db import transactions
from studio.core.db.project import Project
from studio.core.decide.answers import DecisionAnswers
from studio.core.errors import ProjectFileError, UserError
from studio.core.models.common import utcnow
from studio.core.models.decision import DecisionAnswersRow

ROW_ID = 1


def _row(session: Session) -> DecisionAnswersRow | None:
    return session.get(DecisionAnswersRow, ROW_ID)


def save_answers(project: Project, answers: DecisionAnswers) -> None:
    """Store ``answers`` as the project's decision answers (replacing earlier ones)."""
    with transactions.session(project) as s:
        row = _row(s)
        if row is None:
            row = DecisionAnswersRow(id=ROW_ID)
        row.answers_json = answers.to_json()
        row.updated_at = utcnow()
        s.add(row)


def load_saved_answers(project: Project) -> DecisionAnswers | None:
    """The answers saved in the project, or None when the form was never saved.

    Raises:
        ProjectFileError: the stored answers are damaged (names the project file).
    """
    with transactions.session(project) as s:
        row = _row(s)
        if row is None or not row.answers_json.strip() or row.answers_json.strip() == "{}":
            return None
        text = row.answers_json
    try:
        return DecisionAnswers.from_json(
            text, source=f"The decision answers saved in {project.location}"
        )
    except UserError as exc:
        raise ProjectFileError(exc.message, where=project.location) from exc


def save_report(project: Project, report: dict[str, Any]) -> None:
    """Store the last decision (``Decision.to_json()``) beside the answers."""
    text = json.dumps(report, ensure_ascii=False, sort_keys=False)
    with transactions.session(project) as s:
        row = _row(s)
        if row is None:
            answers = report.get("answers")
            row = DecisionAnswersRow(
                id=ROW_ID,
                answers_json=json.dumps(answers, ensure_ascii=False) if answers else "{}",
            )
        row.last_report_json = text
        row.last_report_at = utcnow()
        s.add(row)


def load_report(project: Project) -> dict[str, Any] | None:
    """The last saved decision JSON, or None (also when it cannot be read)."""
    with transactions.session(project) as s:
        row = _row(s)
        text = row.last_report_json if row is not None else None
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
