"""Small adapters between the datasets view's conventions and :mod:`studio.core.datasets`.

The widgets call the core directly for every read, query and change; no SQL lives in
the UI. What this module adds only maps the view's own conventions onto core calls:

* :data:`UNSET` is the filter widgets' key for "no label" / "no split";
  :func:`core_values` turns it into the core filter's ``None`` and :func:`count_key`
  into the key :class:`~studio.core.datasets.Counts` uses (``NONE_KEY``).
* :func:`bulk_update` maps a Bulk actions menu entry (``"label"``, ``"tags+"``,
  ``"delete"`` ...) to the curation function that does it (one undoable operation).
* :func:`undo_op` / :func:`redo_op` undo / redo one operation by id for the undo
  stack and give it the ``Changes`` (:func:`undo_latest` / :func:`redo_latest`: the
  current user's own newest step, for callers without an id; undo is personal).
* :func:`regex_problem` explains a bad search pattern instead of raising.

Nothing here imports Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from studio.core.datasets import NONE_KEY, Changes, ExampleFilter, compile_regex, curation
from studio.core.datasets import operations as ops
from studio.core.db.project import Project
from studio.core.errors import UserError, ValidationError
from studio.core.progress import CancelToken, Progress, ProgressCallback

__all__ = [
    "UNSET",
    "bulk_update",
    "core_values",
    "count_key",
    "redo_latest",
    "redo_op",
    "regex_problem",
    "undo_latest",
    "undo_op",
]

UNSET = ""
"""The filter widgets' value for "no label" / "no split"."""


def core_values(values: Sequence[str]) -> tuple[str | None, ...]:
    """Widget values -> :class:`ExampleFilter` values (:data:`UNSET` -> None)."""
    return tuple(None if v == UNSET else v for v in values)


def count_key(value: str) -> str:
    """Widget value -> the key of its number in :class:`Counts` (:data:`UNSET` -> "none")."""
    return NONE_KEY if value == UNSET else value


def regex_problem(pattern: str) -> str | None:
    """The sentence explaining why ``pattern`` is not a usable search regex, or None."""
    try:
        compile_regex(pattern)
    except ValidationError as exc:
        return str(exc)
    return None


def bulk_update(
    project: Project,
    dataset_id: int,
    *,
    field_name: str,
    value: str | None,
    ids: Sequence[int] | None = None,
    flt: ExampleFilter | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Changes:
    """Set ``label``/``status``/``split``, add (``tags+``) / remove (``tags-``) a tag, or
    ``delete``: on ``ids`` when given, else on everything matching ``flt``.

    One core operation in one transaction (all or nothing). Cancelling works until the
    transaction starts; the SQL itself is set-based and takes well under two seconds.
    """
    report = progress or (lambda _p: None)
    report(Progress(0, 2, "Preparing"))
    target: Any = list(ids) if ids is not None else (flt or ExampleFilter())
    if cancel:
        cancel.raise_if_cancelled()
    report(Progress(1, 2, "Writing the change and its history"))
    if field_name == "label":
        result = curation.set_label(project, dataset_id, target, value)
    elif field_name == "status":
        if value is None:
            raise UserError("Choose a status.")
        result = curation.set_status(project, dataset_id, target, value)
    elif field_name == "split":
        result = curation.set_split(project, dataset_id, target, value)
    elif field_name in ("tags+", "tags-"):
        tag = (value or "").strip()
        if not tag:
            raise UserError("A tag needs a name.")
        fn = curation.add_tag if field_name == "tags+" else curation.remove_tag
        result = fn(project, dataset_id, target, tag)
    elif field_name == "delete":
        result = curation.delete(project, dataset_id, target)
    else:
        raise UserError(f"{field_name!r} cannot be changed in bulk.")
    report(Progress(2, 2, "Done"))
    return result


def undo_latest(project: Project, dataset_id: int) -> Changes | None:
    """Undo the current user's newest operation in the dataset (None: none of theirs)."""
    summary = ops.undo(project, dataset_id)
    return summary.changes if summary is not None else None


def redo_latest(project: Project, dataset_id: int) -> Changes | None:
    """Redo the current user's most recently undone operation (None: none of theirs)."""
    summary = ops.redo(project, dataset_id)
    return summary.changes if summary is not None else None


def undo_op(project: Project, dataset_id: int, op_id: int, *, cascade: bool = False) -> Changes:
    """Undo exactly operation ``op_id`` (with ``cascade``, the later ones in its way first).

    Raises :class:`~studio.core.datasets.OperationConflictError` naming the later
    operations that touched the same examples when ``cascade`` is off.
    """
    done = ops.undo_operation(project, dataset_id, op_id, cascade=cascade)
    return _merged([s.changes for s in done], op_id)


def redo_op(project: Project, dataset_id: int, op_id: int) -> Changes:
    """Redo exactly operation ``op_id`` (raises OperationConflictError when in the way)."""
    return ops.redo_operation(project, dataset_id, op_id).changes


def _merged(parts: Sequence[Changes], op_id: int) -> Changes:
    """One ``Changes`` for the view from several undone operations (the asked one's text)."""
    if len(parts) == 1:
        return parts[0]
    own = next((c for c in parts if c.op_id == op_id), parts[-1])
    ids = sorted({i for c in parts for i in c.example_ids})
    fields = frozenset(f for c in parts for f in c.fields)
    return Changes(
        op_id, own.description, tuple(ids), fields, any(c.rows_added_or_removed for c in parts)
    )
