"""Import a CSV / JSONL / JSON file: preview, field mapping, bad rows, progress.

The import first runs all-or-nothing. If any row is bad, nothing is written and the
dialog lists the bad rows by line number, with two ways on: "Fix the file" (close,
nothing imported) or "Import the good rows only" (run again, skipping them).

The encoding is detected (Western text in Windows-1252 is read as such) and can be
chosen in the Encoding box; the preview re-reads the file at once in the chosen one.
Enter in the path field previews the file; it never starts an import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core import datasets as core
from studio.core.datasets.encodings import ENCODING_CHOICES, encoding_label
from studio.core.datasets.importing import ImportResult, import_file
from studio.core.datasets.mapping import ImportMapping, auto_mapping
from studio.core.datasets.preview import Preview, preview_file
from studio.core.errors import UserError
from studio.core.models.dataset import STATUSES, TASK_TYPES
from studio.core.progress import CancelToken, Progress
from studio.ui.context import AppContext

PREVIEW_ROWS = 20
NONE = "(none)"
DETECT = "Detect"


def _cell(value: Any) -> str:
    s = value if isinstance(value, str) else ("" if value is None else str(value))
    s = s.replace("\n", " ⏎ ")
    return s if len(s) <= 120 else s[:119] + "…"


class ImportDialog(QDialog):
    """Choose a file, check the mapping on a preview, import off the GUI thread.

    The file is read for the preview on the worker pool and the dataset names on the
    database thread: the dialog never waits on the disk.

    Signals:
        imported(int): the dataset id that received the rows.
        preview_ready(bool): a preview asked for by :meth:`load_file` is shown (True) or
            its error is (False).
    """

    imported = Signal(int)
    preview_ready = Signal(bool)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Import examples")
        self.resize(980, 680)
        self.preview: Preview | None = None
        self.import_result: ImportResult | None = None
        self._token: CancelToken | None = None
        self._task: Any = None
        self._preview_request = 0  # answers to older requests are dropped

        # --- file ---
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("CSV, JSONL (OpenAI chat or prompt/completion) or JSON")
        browse = QPushButton("Choose file…", self)
        browse.clicked.connect(self._browse)
        # Enter previews the typed path; the filter takes the key so it never reaches the
        # dialog's default button (Import) with a guessed mapping
        self.path_edit.installEventFilter(self)
        self.encoding_combo = QComboBox(self)
        self.encoding_combo.addItem(DETECT, None)
        for enc, label in ENCODING_CHOICES:
            self.encoding_combo.addItem(label, enc)
        self.encoding_combo.setToolTip(
            "The file's text encoding. The preview shows the file read in the chosen one: "
            "pick another if letters look wrong (é shown as Ã©, or ñ as ń)."
        )
        self.encoding_combo.currentIndexChanged.connect(self._encoding_changed)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        file_row.addWidget(QLabel("Encoding", self))
        file_row.addWidget(self.encoding_combo)
        self.file_info = QLabel(self)
        self.file_info.setWordWrap(True)
        self.warnings = QLabel(self)
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #b45309;")
        self.warnings.hide()

        # --- preview ---
        self.preview_table = QTableWidget(self)
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setWordWrap(False)
        self.preview_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.preview_table.verticalHeader().setDefaultSectionSize(22)
        preview_box = QGroupBox(f"Preview (first {PREVIEW_ROWS} rows)", self)
        pl = QVBoxLayout(preview_box)
        pl.addWidget(self.preview_table)

        # --- mapping ---
        map_box = QGroupBox("Mapping", self)
        form = QFormLayout(map_box)
        self.dataset_name = QComboBox(self)
        self.dataset_name.setEditable(True)
        self.dataset_name.setToolTip("A new name creates a dataset; an existing one adds to it")
        self.task_type = QComboBox(self)
        self.task_type.addItems(TASK_TYPES)
        self.input_list = QListWidget(self)
        self.input_list.setMaximumHeight(90)
        self.output_combo = QComboBox(self)
        self.label_combo = QComboBox(self)
        self.status_combo = QComboBox(self)
        for st in STATUSES:
            self.status_combo.addItem(st.replace("_", " "), st)
        self.status_combo.setCurrentIndex(self.status_combo.findData("needs_review"))
        self.chat_note = QLabel(
            "Conversations: the system prompt is recognised and kept apart; the turns are kept; "
            "the last assistant turn becomes the ideal output.",
            self,
        )
        self.chat_note.setWordWrap(True)
        self.chat_note.hide()
        form.addRow("Dataset", self.dataset_name)
        form.addRow("Task type", self.task_type)
        form.addRow("Input fields", self.input_list)
        form.addRow("Ideal output", self.output_combo)
        form.addRow("Label", self.label_combo)
        form.addRow("Status of new examples", self.status_combo)
        form.addRow(self.chat_note)

        # --- bad rows page ---
        self.bad_page = QWidget(self)
        bl = QVBoxLayout(self.bad_page)
        self.bad_title = QLabel(self.bad_page)
        self.bad_title.setWordWrap(True)
        self.bad_title.setStyleSheet("font-weight: 600;")
        self.bad_list = QListWidget(self.bad_page)
        self.bad_list.setObjectName("badRows")
        self.fix_button = QPushButton("Fix the file", self.bad_page)
        self.fix_button.setToolTip(
            "Close without importing anything; fix the lines listed and import again"
        )
        self.good_only_button = QPushButton("Import the good rows only", self.bad_page)
        brow = QHBoxLayout()
        brow.addStretch(1)
        brow.addWidget(self.fix_button)
        brow.addWidget(self.good_only_button)
        bl.addWidget(self.bad_title)
        bl.addWidget(self.bad_list, 1)
        bl.addLayout(brow)
        self.fix_button.clicked.connect(self.fix_the_file)
        self.good_only_button.clicked.connect(lambda: self.start_import(all_or_nothing=False))

        self.map_page = QWidget(self)
        ml = QVBoxLayout(self.map_page)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(preview_box, 3)
        ml.addWidget(map_box, 2)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.map_page)
        self.pages.addWidget(self.bad_page)

        # --- bottom ---
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.hide()
        self.progress = QProgressBar(self)
        self.progress.hide()
        self.import_button = QPushButton("Import", self)
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel", self)
        self.import_button.clicked.connect(lambda: self.start_import(all_or_nothing=True))
        self.cancel_button.clicked.connect(self._cancel)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addStretch(0)
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.cancel_button)

        lay = QVBoxLayout(self)
        lay.addLayout(file_row)
        lay.addWidget(self.file_info)
        lay.addWidget(self.warnings)
        lay.addWidget(self.pages, 1)
        lay.addWidget(self.error)
        lay.addLayout(bottom)

        self.dataset_name.setCurrentText("")
        project = context.project
        if project is not None:
            context.runner.run(
                lambda: [d.name for d in core.list_datasets(project)],
                on_done=self._names_loaded,
                db=True,
            )

    def _names_loaded(self, names: list[str]) -> None:
        typed = self.dataset_name.currentText()
        self.dataset_name.addItems(names)
        self.dataset_name.setCurrentText(typed)

    # ------------------------------------------------------------ file and preview

    def _browse(self) -> None:
        path, _f = QFileDialog.getOpenFileName(
            self,
            "Import examples",
            "",
            "Data files (*.csv *.tsv *.jsonl *.json *.txt);;All files (*)",
        )
        if path:
            self.load_file(path)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the path field previews the file and goes no further."""
        if (
            watched is self.path_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            if self.path_edit.text().strip():
                self.load_file(self.path_edit.text().strip())
            return True
        return super().eventFilter(watched, event)

    def chosen_encoding(self) -> str | None:
        """The encoding picked in the Encoding box; None = detect."""
        data = self.encoding_combo.currentData()
        return str(data) if data else None

    def _encoding_changed(self) -> None:
        if self.preview is not None or self.path_edit.text().strip():
            self.load_file(self.path_edit.text().strip(), keep_mapping=True)

    def load_file(self, path: str | Path, *, keep_mapping: bool = False) -> None:
        """Preview ``path`` (in the chosen encoding) off the GUI thread; propose a mapping.

        :attr:`preview_ready` reports the outcome (False with a message on failure).
        ``keep_mapping``: the mapping the user set stays when the columns are the same (a
        new encoding re-reads the file).
        """
        path = Path(path)
        before = self.preview
        kept = self.mapping() if keep_mapping and before is not None else None
        self.path_edit.setText(str(path))
        self.pages.setCurrentWidget(self.map_page)
        self.error.hide()
        self.import_button.setEnabled(False)
        self.file_info.setText(f"Reading {path.name} …")
        self._preview_request += 1
        request = self._preview_request
        encoding = self.chosen_encoding()

        def shown(pv: Preview) -> None:
            if request == self._preview_request:
                self.preview_ready.emit(self._show_preview(path, pv, before, kept))

        def failed(exc: BaseException) -> None:
            if request != self._preview_request:
                return
            if not isinstance(exc, UserError):
                self.context.show_error(exc)
                self.preview_ready.emit(False)
                return
            self._show_error(exc.message)
            self.file_info.setText("")
            self.preview = None
            self.import_button.setEnabled(False)
            self.preview_ready.emit(False)

        self.context.runner.run(
            lambda: preview_file(path, PREVIEW_ROWS, encoding=encoding),
            on_done=shown,
            on_error=failed,
            db=False,
        )

    def _show_preview(
        self, path: Path, pv: Preview, before: Preview | None, kept: ImportMapping | None
    ) -> bool:
        if pv.kind != "chat" and not pv.columns:
            # Nothing readable in the first rows (a line over the size cap, no records):
            # say why instead of offering an import with nothing to map
            if pv.rejected:
                message = f"{path.name} cannot be imported: {_with_line(*pv.rejected[0])}."
            else:
                message = (
                    f"{path.name} holds no records with named fields (such as "
                    '{"text": …}): there is nothing to import.'
                )
            self._show_error(message)
            self.preview = None
            self.import_button.setEnabled(False)
            return False
        self.preview = pv
        kind = {
            "chat": "OpenAI chat conversations",
            "prompt_completion": "prompt/completion pairs",
        }.get(pv.kind, "records")
        delim = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}.get(
            pv.delimiter or "", pv.delimiter
        )
        how = "chosen" if self.chosen_encoding() else "detected"
        bits = [f"{pv.format.upper()} · {kind}", f"{encoding_label(pv.encoding)}, {how}"]
        self.encoding_combo.setItemText(
            0, DETECT if self.chosen_encoding() else f"{DETECT}: {encoding_label(pv.encoding)}"
        )
        if delim:
            bits.append(f"delimited by {delim}")
        bits.append(f"{pv.size / 1024:,.0f} KB")
        self.file_info.setText(" · ".join(bits))
        warnings = list(pv.warnings)
        if pv.rejected:
            first = _with_line(*pv.rejected[0])
            warnings.append(
                f"{len(pv.rejected)} of the first rows cannot be read; the first: {first}."
            )
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))
        self._fill_preview(pv)
        if kept is not None and before is not None and before.columns == pv.columns:
            self._fill_mapping(pv, kept)
        else:
            self._fill_mapping(pv, auto_mapping(pv))
        if not self.dataset_name.currentText().strip():
            self.dataset_name.setCurrentText(path.stem)
        self.import_button.setEnabled(True)
        return True

    def _fill_preview(self, pv: Preview) -> None:
        cols = pv.columns
        self.preview_table.clear()
        self.preview_table.setColumnCount(len(cols))
        self.preview_table.setRowCount(len(pv.rows))
        self.preview_table.setHorizontalHeaderLabels(cols)
        for r, row in enumerate(pv.rows):
            for c, col in enumerate(cols):
                self.preview_table.setItem(r, c, QTableWidgetItem(_cell(row.get(col))))
        hh = self.preview_table.horizontalHeader()
        for c in range(len(cols)):
            self.preview_table.setColumnWidth(c, 420 if c == 0 and len(cols) <= 3 else 200)
        hh.setStretchLastSection(True)

    def _fill_mapping(self, pv: Preview, m: ImportMapping) -> None:
        chat = pv.kind == "chat"
        self.chat_note.setVisible(chat)
        for w in (self.input_list, self.output_combo, self.label_combo):
            w.setEnabled(not chat)
        self.task_type.setCurrentText(m.task_type)
        self.input_list.clear()
        for col in pv.columns:
            item = QListWidgetItem(col, self.input_list)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if col in m.input_fields else Qt.CheckState.Unchecked
            )
        for combo, chosen in (
            (self.output_combo, m.output_field),
            (self.label_combo, m.label_field),
        ):
            combo.clear()
            combo.addItem(NONE)
            combo.addItems(pv.columns)
            combo.setCurrentText(chosen or NONE)
        self._auto = m

    def mapping(self) -> ImportMapping:
        """The mapping the widgets describe (auto-detected curation fields are kept)."""
        base = getattr(self, "_auto", ImportMapping())
        inputs = [
            self.input_list.item(i).text()
            for i in range(self.input_list.count())
            if self.input_list.item(i).checkState() == Qt.CheckState.Checked
        ]
        out = self.output_combo.currentText()
        lab = self.label_combo.currentText()
        return ImportMapping(
            input_fields=inputs,
            output_field=None if out in ("", NONE) else out,
            label_field=None if lab in ("", NONE) else lab,
            tags_field=base.tags_field,
            notes_field=base.notes_field,
            rating_field=base.rating_field,
            status_field=base.status_field,
            split_field=base.split_field,
            task_type=self.task_type.currentText(),
            status=str(self.status_combo.currentData()),
        )

    # ------------------------------------------------------------ import

    def start_import(self, *, all_or_nothing: bool) -> None:
        """Run the import off the GUI thread (first all-or-nothing, then good rows only)."""
        project = self.context.project
        if project is None or self.preview is None:
            return
        name = self.dataset_name.currentText().strip()
        if not name:
            self._show_error("Give the dataset a name.")
            return
        mapping = self.mapping()
        path = self.preview.path
        encoding = self.chosen_encoding()
        token = CancelToken()
        self._token = token
        self.error.hide()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.import_button.setEnabled(False)
        self.good_only_button.setEnabled(False)
        self.fix_button.setEnabled(False)

        def work(report: Any) -> ImportResult:
            return import_file(
                project,
                path,
                name,
                mapping,
                all_or_nothing=all_or_nothing,
                progress=report,
                cancel=token,
                encoding=encoding,
            )

        self._task = self.context.runner.run(
            work,
            on_done=self._import_done,
            on_error=self._import_failed,
            on_cancel=self._import_cancelled,
            on_progress=self._report,
            token=token,
            db=True,
        )

    def _report(self, p: Progress) -> None:
        if p.total > 0:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.done)

    def _import_done(self, result: ImportResult) -> None:
        self._task = None
        self.progress.hide()
        self.import_result = result
        if result.rolled_back:
            self._show_bad_rows(result)
            return
        if result.dataset_id is not None:
            self.imported.emit(result.dataset_id)
        msg = f"Imported {result.imported:,} examples"
        if result.skipped_duplicates:
            msg += f"; skipped {result.skipped_duplicates:,} exact duplicates"
        if result.rejected:
            msg += f"; left out {len(result.rejected):,} bad rows"
        self.context.show_status(msg + ".")
        self.accept()

    def _show_bad_rows(self, result: ImportResult) -> None:
        n = len(result.rejected)
        self.bad_title.setText(
            f"{n:,} row{'s' if n != 1 else ''} of {Path(self.path_edit.text()).name} cannot be "
            "imported. Nothing has been imported yet."
        )
        self.bad_list.clear()
        for r in result.rejected[:5000]:
            self.bad_list.addItem(_with_line(r.line, r.reason))
        if n > 5000:
            self.bad_list.addItem(f"… and {n - 5000:,} more")
        self.pages.setCurrentWidget(self.bad_page)
        self.good_only_button.setEnabled(True)
        self.fix_button.setEnabled(True)
        self.import_button.setEnabled(False)

    def _import_failed(self, exc: BaseException) -> None:
        self._task = None
        self.progress.hide()
        self.import_button.setEnabled(True)
        self.good_only_button.setEnabled(True)
        self.fix_button.setEnabled(True)
        if isinstance(exc, UserError):
            self._show_error(exc.message)
        else:
            self.context.show_error(exc)

    def _import_cancelled(self) -> None:
        self._task = None
        self.progress.hide()
        self.import_button.setEnabled(True)
        self._show_error("Import cancelled: nothing was imported.")

    def fix_the_file(self) -> None:
        """Close without importing (the bad rows are listed for fixing)."""
        self.context.show_status("Nothing imported: fix the listed lines and import again.")
        self.reject()

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            return
        self.reject()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def reject(self) -> None:
        if self._task is not None:
            self._task.cancel()  # the import rolls back; its callbacks still arrive
        super().reject()


def _with_line(line: int, reason: str) -> str:
    """``line N: reason``, naming the line once ("line 3 has 4 fields" → "line 3: it has…")."""
    own = f"line {line} "
    if reason.startswith(own):
        reason = "it " + reason[len(own) :]
    return f"line {line}: {reason}"
