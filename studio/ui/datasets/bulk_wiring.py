"""The Datasets view's bulk actions: the dialog, the run off the GUI thread, Cancel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from studio.core import datasets as core
from studio.core.progress import CancelToken, Progress
from studio.ui.context import AppContext
from studio.ui.datasets import data_access as da
from studio.ui.datasets.bulk_actions import BULK_FIELDS, BulkDialog
from studio.ui.datasets.progress_strip import ProgressStrip
from studio.ui.datasets.undo_wiring import UndoWiring


class BulkWiring(UndoWiring):
    """One undoable change over many examples, with progress and Cancel."""

    # Built by DatasetsView
    progress: ProgressStrip
    bulk_actions: dict[str, QAction]

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self._task: Any = None

    def open_bulk_dialog(self, field: str) -> None:
        """Bulk ▸ …: ask the value and scope, then run it off the GUI thread."""
        if self.dataset is None or self._writes_busy():
            return
        matching = self.model.rowCount()
        dlg = BulkDialog(
            field,
            labels=self.dataset.label_set,
            tags=self.tags,
            selected=len(self.selected_ids()),
            matching=matching,
            parent=self,
        )
        if dlg.exec() != BulkDialog.DialogCode.Accepted:
            self.table.setFocus()
            return
        value = dlg.chosen_value()
        if dlg.applies_to_selection():
            self.run_bulk(field, value, ids=self.selected_ids())
        else:
            self.run_bulk(field, value, flt=self.filter)
        self.table.setFocus()

    def run_bulk(
        self,
        field: str,
        value: str | None,
        *,
        ids: Sequence[int] | None = None,
        flt: core.ExampleFilter | None = None,
        on_finished: Callable[[core.Changes | None], None] | None = None,
    ) -> None:
        """One undoable bulk change over ``ids`` or everything matching ``flt``."""
        if self.dataset is None or self.project is None or self._writes_busy():
            return
        project, ds = self.project, self.dataset.id
        token = CancelToken()
        ids = list(ids) if ids is not None else None

        def work(report: Callable[[Progress], None]) -> core.Changes:
            return da.bulk_update(
                project,
                ds,
                field_name=field,
                value=value,
                ids=ids,
                flt=flt,
                progress=report,
                cancel=token,
            )

        title = "Deleting examples" if field == "delete" else BULK_FIELDS.get(field, (field, ""))[0]

        def done(result: tuple[core.Changes, Any]) -> None:
            self._end_task()
            changes, marker = result
            self.watcher.note(marker)
            if changes.op_id is None:
                self.context.show_status("Nothing changed: every example already had that value.")
            else:
                self._push_command(changes)
                self._refresh_after(changes)
                self.context.show_status(changes.description + ". Ctrl+Z undoes it.")
            if on_finished is not None:
                on_finished(changes)

        def failed(exc: BaseException) -> None:
            self._end_task()
            self.context.show_error(exc)
            if on_finished is not None:
                on_finished(None)

        def cancelled() -> None:
            self._end_task()
            self.context.show_status("Cancelled: nothing was changed.")
            if on_finished is not None:
                on_finished(None)

        self._begin_task(title + "…", token)
        self._task = self.context.runner.run(
            lambda report: self.watcher.own_write(lambda: work(report))(),
            on_done=done,
            on_error=failed,
            on_cancel=cancelled,
            on_progress=self.progress.report,
            token=token,
            db=True,
        )

    def _begin_task(self, message: str, token: CancelToken | None) -> None:
        self._writes += 1
        self._token = token
        self.progress.start(message)
        self.progress.cancel.setVisible(token is not None)

    def _end_task(self) -> None:
        self._writes = max(0, self._writes - 1)
        self._task = None
        self._token = None
        self.progress.hide()
        self.table.setFocus()

    def cancel_task(self) -> None:
        """The progress strip's Cancel."""
        if self._task is not None:
            self._task.cancel()
            self.progress.message.setText("Cancelling…")
            self.progress.cancel.setEnabled(False)
