"""The fine-tune decision form's answers, saved in the project."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from studio.core.models.common import utcnow


class DecisionAnswersRow(SQLModel, table=True):
    """The latest answers to the decision form (one row per project, id 1)."""

    __tablename__ = "decision_answers"

    id: int | None = Field(default=None, primary_key=True)
    answers_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    updated_at: datetime = Field(default_factory=utcnow)
    # The last computed decision (Decision.to_json()), so the app and the demo project can
    # show a report without recomputing; null until one was computed.
    last_report_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_report_at: datetime | None = Field(default=None)
