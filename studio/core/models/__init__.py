"""SQLModel tables of a project file, one module per area.

Importing this package registers every table on ``SQLModel.metadata`` (Alembic and
the schema-drift test rely on that).
"""

from studio.core.models.dataset import Dataset, Example, ExampleHistory, Operation
from studio.core.models.decision import DecisionAnswersRow
from studio.core.models.distil import Candidate
from studio.core.models.evaluation import (
    EvalResult,
    EvalRun,
    EvalVariant,
    Preference,
    ResponseCache,
)
from studio.core.models.meta import ProjectMeta
from studio.core.models.prompt import LabelEvent, Prompt, PromptLabel, PromptVersion
from studio.core.models.run_claim import RunClaim
from studio.core.models.team import Adjudication, Annotation

__all__ = [
    "Adjudication",
    "Annotation",
    "Candidate",
    "Dataset",
    "DecisionAnswersRow",
    "EvalResult",
    "EvalRun",
    "EvalVariant",
    "Example",
    "ExampleHistory",
    "LabelEvent",
    "Operation",
    "Preference",
    "ProjectMeta",
    "Prompt",
    "PromptLabel",
    "PromptVersion",
    "ResponseCache",
    "RunClaim",
]
