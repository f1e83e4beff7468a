"""The editor beside the table: input, ideal output, label, status and curation fields.

Buttons here never take keyboard focus (``Qt.NoFocus``): clicking "Approve" leaves the
focus in the table so the next keypress still labels. Text fields are where typing
happens; the view's labelling keys are read only by the table, so typing "a" in the
notes never approves anything. Esc in any field saves it and goes back to the table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studio.core.datasets import DatasetInfo, ExampleDetail, HistoryEntry
from studio.core.datasets.operations import history_line
from studio.core.models.dataset import SPLITS
from studio.ui.datasets.detail_fields import ElidedButton, MessagesEditor, text_edit
from studio.ui.datasets.label_picker import LabelPicker
from studio.ui.datasets.long_text import LongTextViewer, is_long, preview_of, size_text


class DetailEditor(LabelPicker):
    """Shows and edits one example (choosing a label is ``LabelPicker``, label_picker.py).

    Signals (the first two declared in ``LabelPicker``):
        label_chosen(str): a label button or the label list was used.
        label_created(str): a new label name was typed and confirmed (add it, then set it).
        status_chosen(str): approve / reject / needs review / draft.
        skip_requested(): "Skip" (next example, no change).
        leave_requested(): Esc: save and go back to the table.
        save_requested(): Ctrl+S or the Save button.
    """

    status_chosen = Signal(str)
    skip_requested = Signal()
    leave_requested = Signal()
    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailEditor")
        self.detail: ExampleDetail | None = None
        self.info: DatasetInfo | None = None
        self._validator: Any = None
        self._loading = False
        self._dirty = False
        self._input_edits: dict[str, QPlainTextEdit] = {}
        # Fields too long to edit in place: name -> the whole value (see long_text)
        self.long_values: dict[str, str] = {}
        self.viewer: LongTextViewer | None = None

        self.header = QLabel("No example selected", self)
        self.header.setObjectName("detailHeader")
        self.header.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.source = QLabel(self)
        self.source.setStyleSheet("color: #6b7280;")
        self.source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # --- label and status (buttons never take focus) ---
        self.label_box = QGroupBox("Label", self)
        self._label_grid = QGridLayout(self.label_box)
        self._label_grid.setContentsMargins(6, 6, 6, 6)
        self._label_grid.setSpacing(4)
        self.label_buttons: list[ElidedButton] = []
        self._label_columns = 0
        self.all_labels = QComboBox(self.label_box)
        self.all_labels.setEditable(True)
        self.all_labels.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.all_labels.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.all_labels.setMinimumContentsLength(12)
        self._label_line().setPlaceholderText("All labels: type to find (L)")
        # Enter is read here, before QComboBox (which only knows exact matches and would
        # drop a new name); the list's own dropdown still picks by click (ISSUE-11 §6)
        self._label_line().installEventFilter(self)
        self.all_labels.activated.connect(self._label_from_list)
        self._choice_guard = False

        status_box = QGroupBox("Review", self)
        # Two rows: at 1280 x 800 five buttons on one row cut "Approve [A]" and "Needs
        # review" (ISSUE-11 §6); the keyed actions first, the two rarer states below
        srow = QGridLayout(status_box)
        srow.setContentsMargins(6, 6, 6, 6)
        srow.setSpacing(4)
        places = {"approved": (0, 0), "rejected": (0, 1), "needs_review": (1, 0), "draft": (1, 1)}
        self.status_buttons: dict[str, QPushButton] = {}
        for key, text, tip in (
            ("approved", "Approve  [A]", "Approve and go to the next example"),
            ("rejected", "Reject  [R]", "Reject and go to the next example"),
            ("needs_review", "Needs review", "Flag for a second look"),
            ("draft", "Draft", "Back to draft"),
        ):
            b = QPushButton(text, status_box)
            b.setCheckable(True)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _c=False, k=key: self.status_chosen.emit(k))
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            self.status_buttons[key] = b
            srow.addWidget(b, *places[key])
        self.skip_button = QPushButton("Skip  [S]", status_box)
        self.skip_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.skip_button.clicked.connect(self.skip_requested.emit)
        self.skip_button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        srow.addWidget(self.skip_button, 0, 2)

        # --- content ---
        self.inputs_box = QGroupBox("Input", self)
        self._inputs_form = QFormLayout(self.inputs_box)
        self._inputs_form.setContentsMargins(6, 6, 6, 6)
        self.system_prompt = text_edit(self.inputs_box, 2, 5)
        self.system_prompt.hide()
        self.messages = MessagesEditor(self.inputs_box)
        self.messages.hide()
        self.messages.changed.connect(self._mark_dirty)

        self.output_box = QGroupBox("Ideal output", self)
        olay = QVBoxLayout(self.output_box)
        olay.setContentsMargins(6, 6, 6, 6)
        self.output = text_edit(self.output_box, 3, 10)
        self.output.setObjectName("idealOutput")
        self.output_check = QLabel(self.output_box)
        self.output_check.setWordWrap(True)
        olay.addWidget(self.output)
        self.output_show_all = QPushButton(self.output_box)
        self.output_show_all.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.output_show_all.hide()
        self.output_show_all.clicked.connect(lambda: self.show_all("ideal_output"))
        olay.addWidget(self.output_show_all)
        olay.addWidget(self.output_check)
        self.output.textChanged.connect(self._output_changed)

        # --- curation fields ---
        fields = QGroupBox("Curation", self)
        form = QFormLayout(fields)
        form.setContentsMargins(6, 6, 6, 6)
        self.split = QComboBox(fields)
        self.split.addItem("(none)", None)
        for sp in SPLITS:
            self.split.addItem(sp, sp)
        self.split_lock = QLabel(fields)
        self.split_lock.setStyleSheet("color: #b45309;")
        # Short, no word wrap: a wrapping label here makes the scroll area re-flow its
        # editors; a long one widens the pane past the window
        self.split_lock.setToolTip(
            "A test example an evaluation used stays in test when you split again, so "
            "past and future scores stay comparable."
        )
        split_row = QHBoxLayout()
        split_row.addWidget(self.split)
        split_row.addWidget(self.split_lock, 1)
        self.rating = QComboBox(fields)
        self.rating.addItem("–", None)
        for n in range(1, 6):
            self.rating.addItem("★" * n, n)
        self.tags = QLineEdit(fields)
        self.tags.setObjectName("tagsEdit")
        self.tags.setPlaceholderText("comma-separated")
        self.notes = text_edit(fields, 2, 5)
        self.notes.setObjectName("notesEdit")
        self.notes.setPlaceholderText("Why this label, what to check…")
        form.addRow("Split", split_row)
        form.addRow("Rating", self.rating)
        form.addRow("Tags", self.tags)
        form.addRow("Notes", self.notes)

        self.save_button = QPushButton("Save  (Ctrl+S)", self)
        self.save_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_requested.emit)
        self.hint = QLabel("Enter: edit · Esc: save and back to the table", self)
        self.hint.setStyleSheet("color: #6b7280;")
        save_row = QHBoxLayout()
        save_row.addWidget(self.hint, 1)
        save_row.addWidget(self.save_button)

        self.history = QListWidget(self)
        self.history.setMaximumHeight(110)
        self.history.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        hist_box = QGroupBox("History", self)
        hl = QVBoxLayout(hist_box)
        hl.setContentsMargins(6, 6, 6, 6)
        hl.addWidget(self.history)

        body = QWidget(self)
        blay = QVBoxLayout(body)
        blay.setContentsMargins(0, 0, 4, 0)
        blay.addWidget(self.header)
        blay.addWidget(self.source)
        blay.addWidget(self.label_box)
        blay.addWidget(status_box)
        blay.addWidget(self.inputs_box)
        blay.addWidget(self.output_box)
        blay.addWidget(fields)
        blay.addLayout(save_row)
        blay.addWidget(hist_box)
        blay.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        for w in (self.system_prompt, self.output, self.notes):
            w.textChanged.connect(self._mark_dirty)
        self.tags.textEdited.connect(lambda _t: self._mark_dirty())
        self.split.activated.connect(lambda _i: self._mark_dirty())
        self.rating.activated.connect(lambda _i: self._mark_dirty())
        # Esc and Ctrl+S work from any field inside the editor
        esc = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        esc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        esc.activated.connect(self.leave_requested.emit)
        save = QShortcut(QKeySequence.StandardKey.Save, self)
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.activated.connect(self.save_requested.emit)
        self.setEnabled(False)

    # ------------------------------------------------------------ dataset

    def set_dataset(self, info: DatasetInfo | None) -> None:
        """Prepare for a dataset: its label keys, input fields and output schema."""
        self.info = info
        labels = list(info.label_set) if info else []
        self._set_label_choices(labels)
        self._validator = None
        if info and info.output_schema:
            try:
                from jsonschema import Draft202012Validator

                Draft202012Validator.check_schema(info.output_schema)
                self._validator = Draft202012Validator(info.output_schema)
            except Exception as exc:  # a broken schema is shown, never raised
                self.output_check.setText(f"The dataset's output schema is not valid: {exc}")
        self.show_example(None)

    # ------------------------------------------------------------ example

    def show_example(
        self, detail: ExampleDetail | None, history: Sequence[HistoryEntry] = ()
    ) -> None:
        """Show ``detail`` (None: nothing selected)."""
        self._loading = True
        self.detail = detail
        self.setEnabled(detail is not None)
        # takeRow keeps the widgets: the persistent system prompt and messages editor are
        # reused; the per-variable editors and the row labels are deleted
        keep = {self.system_prompt, self.messages}
        while self._inputs_form.rowCount():
            taken = self._inputs_form.takeRow(0)
            for item in (taken.labelItem, taken.fieldItem):
                w = item.widget() if item is not None else None
                if w is not None and w not in keep:
                    w.deleteLater()
        self._input_edits = {}
        self.long_values = {}
        self.output.setReadOnly(False)
        self.output_show_all.hide()
        # Shown only for conversations (a widget outside the form would float at 0,0)
        self.system_prompt.hide()
        self.messages.hide()
        if detail is None:
            self.header.setText("No example selected")
            self.source.setText("Select a row in the table, or import a file.")
            self.output.setPlainText("")
            self.notes.setPlainText("")
            self.tags.setText("")
            self.history.clear()
            self._loading = False
            self._set_dirty(False)
            return
        self.header.setText(f"Example #{detail.id}")
        src = detail.source or "added by hand"
        if detail.source_line:
            src += f", line {detail.source_line}"
        self.source.setText(src)
        if detail.conversation is not None:
            self.inputs_box.setTitle("Conversation")
            self.system_prompt.setPlainText(detail.system_prompt or "")
            self._inputs_form.addRow("System", self.system_prompt)
            self.messages.set_messages(detail.conversation)
            self._inputs_form.addRow(self.messages)
            self.system_prompt.show()
            self.messages.show()
        else:
            self.inputs_box.setTitle("Input variables")
            names = list(detail.inputs) or list(self.info.input_fields if self.info else ("text",))
            for name in names:
                edit = text_edit(self.inputs_box, 2, 8)
                value = detail.inputs.get(name, "")
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if is_long(text):
                    # A bounded, read-only preview: a cut value is never saved back
                    self.long_values[name] = text
                    edit.setPlainText(preview_of(text))
                    edit.setReadOnly(True)
                else:
                    edit.setPlainText(text)
                edit.textChanged.connect(self._mark_dirty)
                self._input_edits[name] = edit
                if name in self.long_values:
                    holder = QWidget(self.inputs_box)
                    hl = QVBoxLayout(holder)
                    hl.setContentsMargins(0, 0, 0, 0)
                    hl.addWidget(edit)
                    more = QPushButton(f"Show all ({size_text(text)})…", holder)
                    more.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                    more.setObjectName(f"showAll_{name}")
                    more.clicked.connect(lambda _c=False, n=name: self.show_all(n))
                    hl.addWidget(more)
                    self._inputs_form.addRow(name, holder)
                else:
                    self._inputs_form.addRow(name, edit)
        output = detail.ideal_output or ""
        if is_long(output):
            self.long_values["ideal_output"] = output
            self.output.setPlainText(preview_of(output))
            self.output.setReadOnly(True)
            self.output_show_all.setText(f"Show all ({size_text(output)})…")
            self.output_show_all.show()
        else:
            self.output.setPlainText(output)
        self._check_output()
        self.notes.setPlainText(detail.notes)
        self.tags.setText(", ".join(detail.tags))
        self.split.setCurrentIndex(max(0, self.split.findData(detail.split)))
        self.split_lock.setText(
            "Frozen in test: an evaluation used it." if detail.split_locked else ""
        )
        self.rating.setCurrentIndex(max(0, self.rating.findData(detail.rating)))
        self.set_label_and_status(detail.label, detail.status)
        self.history.clear()
        for h in history:
            # What the operation did ("added by: Import 1,204 examples from a.csv")
            self.history.addItem(f"{h.at[:19]}  {h.actor}: {history_line(h)}")
        self._loading = False
        self._set_dirty(False)

    def set_label_and_status(self, label: str | None, status: str) -> None:
        """Reflect a label/status change made from the table (no save needed)."""
        for lb in self.label_buttons:
            # full_text: the shown text may be elided ("declined_car…")
            lb.setChecked(lb.full_text.split("  ", 1)[1] == label)
        idx = self.all_labels.findText(label or "")
        self.all_labels.setCurrentIndex(idx)
        for key, b in self.status_buttons.items():
            b.setChecked(key == status)

    # ------------------------------------------------------------ editing

    def _mark_dirty(self) -> None:
        if not self._loading:
            self._set_dirty(True)

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        self.save_button.setEnabled(dirty)

    @property
    def dirty(self) -> bool:
        """True when a field was edited and not saved."""
        return self._dirty and self.detail is not None

    def _output_changed(self) -> None:
        self._check_output()

    def show_all(self, name: str) -> None:
        """Open the whole of a long field in a viewer that stays responsive."""
        text = self.long_values.get(name)
        if text is None:
            return
        title = f"Example #{self.detail.id}: {name}" if self.detail else name
        self.viewer = LongTextViewer(title, text, self)
        self.viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.viewer.destroyed.connect(lambda *_a: setattr(self, "viewer", None))
        self.viewer.open()

    def _check_output(self) -> None:
        """Live check of the ideal output: JSON syntax, then the dataset's schema."""
        if "ideal_output" in self.long_values:
            self.output_check.setText("Too long to check here; Validate checks the export.")
            return
        text = self.output.toPlainText()
        wants_json = self._validator is not None or (
            self.detail is not None and self.detail.output_kind in ("json", "tool_calls")
        )
        if not wants_json:
            self.output_check.setText("")
            return
        if not text.strip():
            self.output_check.setText("")
            return
        from studio.core.json_depth import MAX_DEPTH, nesting_excess

        deep = nesting_excess(text)
        if deep is not None:  # json.loads would fail with a RecursionError
            self._show_check(
                False,
                f"Nested more than {MAX_DEPTH} levels deep (line {deep[0]}, column {deep[1]}).",
            )
            return
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self._show_check(
                False, f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            )
            return
        if self._validator is None:
            self._show_check(True, "Valid JSON.")
            return
        errors = sorted(self._validator.iter_errors(value), key=lambda e: list(e.path))
        if not errors:
            self._show_check(True, "Valid JSON that matches the dataset's output schema.")
            return
        lines = []
        for e in errors[:4]:
            where = "/".join(str(p) for p in e.path) or "(top level)"
            lines.append(f"• {where}: {e.message}")
        more = f"\n…and {len(errors) - 4} more" if len(errors) > 4 else ""
        self._show_check(False, "Does not match the output schema:\n" + "\n".join(lines) + more)

    def _show_check(self, ok: bool, text: str) -> None:
        self.output_check.setStyleSheet(f"color: {'#15803d' if ok else '#b91c1c'};")
        self.output_check.setText(("✓ " if ok else "✗ ") + text)

    def pending_changes(self) -> dict[str, Any]:
        """The edited fields that differ from the stored example (empty if none)."""
        d = self.detail
        if d is None:
            return {}
        out: dict[str, Any] = {}
        if d.conversation is not None:
            msgs = self.messages.messages()
            if msgs != [
                {"role": m.get("role"), "content": m.get("content")} for m in d.conversation
            ]:
                out["conversation"] = msgs
            sp = self.system_prompt.toPlainText()
            if sp != (d.system_prompt or ""):
                out["system_prompt"] = sp or None
        else:
            inputs = dict(d.inputs)
            for name, edit in self._input_edits.items():
                if name in self.long_values:
                    continue  # shown cut and read-only: unchanged
                old = d.inputs.get(name, "")
                new = edit.toPlainText()
                if new != (old if isinstance(old, str) else json.dumps(old, ensure_ascii=False)):
                    inputs[name] = new
            if inputs != d.inputs:
                out["inputs"] = inputs
        output = self.output.toPlainText()
        if "ideal_output" not in self.long_values and output != (d.ideal_output or ""):
            out["ideal_output"] = output or None
        if self.notes.toPlainText() != d.notes:
            out["notes"] = self.notes.toPlainText()
        tags = tuple(dict.fromkeys(t.strip() for t in self.tags.text().split(",") if t.strip()))
        if tags != d.tags:
            out["tags"] = list(tags)
        if self.split.currentData() != d.split:
            out["split"] = self.split.currentData()
        if self.rating.currentData() != d.rating:
            out["rating"] = self.rating.currentData()
        return out

    def first_text_field(self) -> QWidget:
        """Where Enter in the table puts the cursor: the ideal output (what gets labelled)."""
        if self.detail is not None and self.detail.conversation is not None:
            edits = self.messages.text_edits()
            if edits:
                return edits[-1]
        return self.output

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self._label_line()
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            if not self._choice_guard:  # not right after the completer's own choice
                self._label_entered()
            return True
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            self.leave_requested.emit()
            return True
        return super().eventFilter(watched, event)
