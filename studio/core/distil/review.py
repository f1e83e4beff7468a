"""Accept, edit or reject teacher candidates, each as one undoable dataset operation.

(Signatures first, for the GUI; implementation follows.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from studio.core.db.project import Project


@dataclass(frozen=True)
class ReviewResult:
    """What one review action did.

    Attributes:
        op_id: the dataset operation recorded (None when nothing changed).
        changed: how many candidates changed status.
        skipped: reason -> how many selected candidates were left as they were.
        example_ids: the examples whose rows (or candidates) changed.
        description: the operation's description ("Accept 120 teacher outputs").
    """

    op_id: int | None
    changed: int
    skipped: dict[str, int]
    example_ids: tuple[int, ...] = ()
    description: str = ""


def accept(
    project: Project,
    dataset: str | int,
    *,
    candidate_ids: Sequence[int] | None = None,
    min_agreement: float | None = None,
    example_ids: Sequence[int] | None = None,
    only_valid: bool = True,
    actor: str | None = None,
) -> ReviewResult:
    raise NotImplementedError


def reject(
    project: Project,
    dataset: str | int,
    *,
    candidate_ids: Sequence[int] | None = None,
    min_agreement: float | None = None,
    example_ids: Sequence[int] | None = None,
    actor: str | None = None,
) -> ReviewResult:
    raise NotImplementedError


def edit_and_accept(
    project: Project, candidate_id: int, output: str, *, actor: str | None = None
) -> ReviewResult:
    raise NotImplementedError
