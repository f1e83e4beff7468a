"""The Datasets view's single-example edits: label, status, fields, new labels."""

from __future__ import annotations

from typing import Any

from studio.core import datasets as core
from studio.core.errors import StaleEditError
from studio.ui.datasets.bulk_wiring import BulkWiring


class ExampleEdits(BulkWiring):
    """Saves of one example on the database thread, queued in order.

    Each save carries the row version this view last saw (the table row, the detail
    editor, or the version its own previous save produced): a row someone else changed
    meanwhile is not overwritten. The refusal is shown as its sentence ("changed by
    NAME at TIME", the label now) and the row and editor reload with the new value.
    """

    def _versions_seen(self) -> dict[int, int]:
        """Example id -> the newest version this view knows (its own saves included)."""
        seen: dict[int, int] | None = self.__dict__.get("_seen_versions")
        if seen is None:
            seen = self.__dict__["_seen_versions"] = {}
        return seen

    def _version_shown(self, example_id: int) -> int | None:
        """The version of ``example_id`` the table or editor shows (None: not read yet)."""
        known = []
        d = self.detail.detail
        if d is not None and d.id == example_id:
            known.append(d.version)
        row = self.model.cached_row(example_id)
        if row is not None and row.version > 0:
            known.append(row.version)
        return max(known) if known else None

    def _edits_busy(self) -> bool:
        if self._edits or self._writes:
            self.context.show_status("Wait a moment: the previous change is still being saved.")
            return True
        return False

    def _save_example(
        self,
        example_id: int,
        fields: dict[str, Any],
        *,
        reload_detail: bool = True,
        announce: bool = False,
    ) -> None:
        """Save fields of one example on the database thread (saves queue in order)."""
        project = self.project
        if project is None:
            return
        self._edits += 1
        shown = self._version_shown(example_id)
        seen = self._versions_seen()

        def save() -> core.Changes:
            # Read on the database thread, after any earlier save of this row has run
            # (tasks run in order), so a quick second edit builds on the first one
            known = [v for v in (shown, seen.get(example_id)) if v is not None]
            expected = max(known) if known else None
            changes = core.update_example(project, example_id, expected_version=expected, **fields)
            if changes.op_id is not None and expected is not None:
                seen[example_id] = expected + 1
            return changes

        def done(result: tuple[core.Changes, Any]) -> None:
            self._edits = max(0, self._edits - 1)
            changes, marker = result
            if project is not self.project:
                return
            self.watcher.note(marker)
            self._after_edit(changes, reload_detail=reload_detail)
            if announce and changes.op_id is not None:
                self.context.show_status(changes.description)
            self.edit_saved.emit()

        def failed(exc: BaseException) -> None:
            self._edits = max(0, self._edits - 1)
            if isinstance(exc, StaleEditError) and project is self.project:
                seen.pop(example_id, None)
                self.model.refresh_ids([example_id])  # the table shows the value now
                if self.detail.detail is not None and self.detail.detail.id == example_id:
                    self.detail._set_dirty(False)
                    self._load_detail(example_id)
            self.context.show_error(exc)
            self.edit_saved.emit()

        self.context.runner.run(
            self.watcher.own_write(save),
            on_done=done,
            on_error=failed,
            db=True,
        )

    def apply_to_current(self, field: str, value: str | None) -> None:
        """Set label or status on the current example (or the selection) and move on."""
        if self.dataset is None or self.project is None or self._writes_busy():
            return
        selected = self.selected_ids()
        if len(selected) > 1:
            self.run_bulk(field, value, ids=selected)
            return
        eid = self.current_id()
        if eid is None:
            return
        self._commit_detail(eid)
        if field == "label" and value and self.filter_bar.my_queue.isChecked():
            self._save_annotation(eid, value)  # my queue: my (blind) label
        else:
            self._save_example(eid, {field: value})
        self.move_current(1)

    def _save_annotation(self, example_id: int, label: str) -> None:
        """Record the current user's label on a row of their queue (database thread).

        A row only they label gets the label at once; an overlap row keeps its label
        empty until the other labeller has labelled it too (blind).
        """
        project, dataset = self.project, self.dataset
        if project is None or dataset is None:
            return
        self._edits += 1
        shown = self._version_shown(example_id)
        from studio.core.datasets.assignment import record_labels

        def save() -> Any:
            return record_labels(project, dataset.id, [example_id], label, expected_version=shown)

        def done(result: tuple[Any, Any]) -> None:
            self._edits = max(0, self._edits - 1)
            res, marker = result
            if project is not self.project:
                return
            self.watcher.note(marker)
            if res.changes.op_id is not None:
                self._after_edit(res.changes)
            else:
                self.model.refresh_ids([example_id])
            if res.not_assigned:
                self.context.show_status(f"Example {example_id} is not in your queue.")
            elif res.waiting:
                self.context.show_status(
                    f"Your label for example {example_id} is saved; it waits for the other "
                    "labeller's."
                )
            elif res.to_adjudicate:
                self.context.show_status(
                    f"Example {example_id}: the labellers disagree; it goes to adjudication."
                )
            self.edit_saved.emit()

        def failed(exc: BaseException) -> None:
            self._edits = max(0, self._edits - 1)
            if isinstance(exc, StaleEditError) and project is self.project:
                self.model.refresh_ids([example_id])
            self.context.show_error(exc)
            self.edit_saved.emit()

        self.context.runner.run(
            self.watcher.own_write(save), on_done=done, on_error=failed, db=True
        )

    def create_label(self, name: str) -> None:
        """Add ``name`` to the dataset's labels and give it to the current example."""
        if self.dataset is None or self.project is None or self._writes_busy():
            return
        eid = self.current_id()
        project, ds = self.project, self.dataset.id
        labels = [*self.dataset.label_set, name]

        def work() -> core.DatasetInfo:
            return core.update_dataset(project, ds, label_set=labels)

        def done(info: core.DatasetInfo) -> None:
            if project is not self.project or self.dataset is None or self.dataset.id != ds:
                return
            self.dataset = info
            self.detail.set_dataset(info)
            # Offer the new label in the filter too, keeping what is filtered
            chosen = self.filter_bar.labels.selected()
            self.filter_bar.labels.blockSignals(True)
            self.filter_bar.labels.set_values(info.label_set, with_unset="(no label)")
            self.filter_bar.labels.select(chosen)
            self.filter_bar.labels.blockSignals(False)
            self.context.show_status(f"Label “{name}” added to {info.name}.")
            if eid is not None:
                self._commit_detail(eid)
                self._save_example(eid, {"label": name})
                if eid == self.current_id():
                    self.move_current(1)

        self._read(work, done)

    def _commit_detail(self, example_id: int | None = None) -> None:
        """Save the editor's unsaved fields (switching rows, Esc, Ctrl+S)."""
        d = self.detail.detail
        if d is None or not self.detail.dirty or self.project is None:
            return
        if example_id is not None and d.id != example_id:
            return
        changes = self.detail.pending_changes()
        self.detail._set_dirty(False)
        if not changes:
            return
        self._save_example(d.id, changes, reload_detail=False, announce=True)

    def save_detail(self) -> None:
        """Ctrl+S in the editor."""
        eid = self.current_id()
        self._commit_detail()
        if eid is not None:
            self._load_detail(eid)  # queued after the save on the database thread

    def _after_edit(self, changes: core.Changes, *, reload_detail: bool = True) -> None:
        if changes.op_id is None:
            return
        self._push_command(changes)
        self.model.refresh_ids(changes.example_ids)
        if "tags" in changes.fields:
            self._reload_tags()
        self._counts_timer.start()
        self.context.data_changed.emit("datasets")
        if reload_detail and self.detail.detail and self.detail.detail.id in changes.example_ids:
            self._load_detail(self.detail.detail.id)
