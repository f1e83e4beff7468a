"""The Validate view: check a fine-tuning JSONL file, or what a dataset would export.

Sources: any JSONL file (``Open file…``), or a dataset rendered through a prompt version
for a target (``From dataset…`` exports to a temporary folder and validates the train
file; ``Export…`` writes a real export and shows its manifest). Validation runs on the
task runner's work pool with progress and Cancel; results of an older run are dropped.

Findings are a tree (severity -> code (count) -> lines). "Go to" shows the line's text
(read from disk on demand, never the whole file) and, for a dataset export, asks the
app to open the example in the Datasets view. Safe fixes write a NEW file chosen in a
save dialog; the original is never touched.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import UserError
from studio.core.export import ExportResult, FileResult, export_dataset
from studio.core.formats import FORMATS, Finding, FixResult, ValidationReport, fix_file
from studio.core.formats import validate_file as core_validate_file
from studio.core.progress import CancelToken, Progress
from studio.ui.context import AppContext
from studio.ui.validate.dataset_dialog import DatasetExportDialog, ExportChoice
from studio.ui.validate.findings_tree import FindingsTree
from studio.ui.validate.histogram import TokenHistogram
from studio.ui.validate.line_reader import LineText, read_line

#: Finding codes the safe fixes remove (strip BOM, drop blank lines, JSON array ->
#: JSONL, drop exact duplicates).
FIXABLE_CODES = frozenset({"utf8_bom", "empty_line", "not_jsonl", "duplicate_example"})
JSONL_FILTER = "JSON Lines (*.jsonl *.json);;All files (*)"
_COLUMN_RE = re.compile(r"column (\d+)")
PRETTY_MAX_CHARS = 6000


def _price_models() -> list[str]:
    try:
        from studio.core.tokens.prices import load_price_table

        table = load_price_table()
    except UserError:
        return []
    return sorted(name for name, m in table.models.items() if m.max_example_tokens)


class ValidateView(QWidget):
    """Open a file or a dataset export, validate it, browse findings, fix, export.

    Signals:
        validation_finished(object): the :class:`ValidationReport` now shown.
        validation_cancelled(): the running validation stopped on Cancel.
        export_finished(object): an :class:`ExportResult` (from Export… or From dataset…).
        fix_written(object, str): the :class:`FixResult` and the new file's path.
        line_shown(int): the viewer shows this line.
    """

    validation_finished = Signal(object)
    validation_cancelled = Signal()
    export_finished = Signal(object)
    fix_written = Signal(object, str)
    line_shown = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.path: Path | None = None
        self.report: ValidationReport | None = None
        self.export_result: ExportResult | None = None
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self._handle: Any = None
        self._token: CancelToken | None = None
        self._generation = 0
        self._export_model: str | None = None  # the model the last export validated with
        self._build()
        context.project_changed.connect(self._on_project_changed)
        self._on_project_changed(context.project)
        self._set_running(False)

    # -- layout ----------------------------------------------------------------------

    def _build(self) -> None:
        self.open_button = QPushButton("Open file…")
        self.open_button.clicked.connect(self._open_dialog)
        self.dataset_button = QPushButton("From dataset…")
        self.dataset_button.setToolTip("Validate what a dataset would export: dataset + "
                                       "prompt version + target, exported to a temporary "
                                       "folder.")
        self.dataset_button.clicked.connect(self._dataset_dialog)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export a dataset for a target: train/validation "
                                      "files, re-validated, with a manifest.")
        self.export_button.clicked.connect(self._export_dialog)
        self.source_label = QLabel("Open a JSONL file or choose a dataset to validate.")
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_combo = QComboBox()  # train / validation file of a dataset export
        self.file_combo.setVisible(False)
        self.file_combo.currentIndexChanged.connect(self._file_combo_changed)
        top = QHBoxLayout()
        for w in (self.open_button, self.dataset_button, self.export_button):
            top.addWidget(w)
        top.addWidget(self.source_label, 1)
        top.addWidget(self.file_combo)

        self.format_combo = QComboBox()
        self.format_combo.addItem("auto (detect)", "auto")
        for name, spec in FORMATS.items():
            self.format_combo.addItem(name, name)
            self.format_combo.setItemData(self.format_combo.count() - 1, spec.title,
                                          Qt.ItemDataRole.ToolTipRole)
        self.detected_label = QLabel("")
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)
        self.model_combo.addItem("default for the format", None)
        for m in _price_models():
            self.model_combo.addItem(m, m)
        self.model_combo.setToolTip("Model for the per-example token limit and the cost "
                                    "estimate (price table in resources/prices.json).")
        self.model_combo.setMinimumContentsLength(18)
        self.schema_edit = QLineEdit()
        self.schema_edit.setPlaceholderText("optional JSON Schema for assistant outputs")
        schema_browse = QPushButton("Schema…")
        schema_browse.clicked.connect(self._schema_dialog)
        self.validate_button = QPushButton("Validate")
        self.validate_button.setDefault(True)
        self.validate_button.clicked.connect(self.validate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setMaximumWidth(220)
        opts = QHBoxLayout()
        opts.addWidget(QLabel("Format"))
        opts.addWidget(self.format_combo)
        opts.addWidget(self.detected_label)
        opts.addSpacing(12)
        opts.addWidget(QLabel("Model"))
        opts.addWidget(self.model_combo)
        opts.addSpacing(12)
        opts.addWidget(self.schema_edit, 1)
        opts.addWidget(schema_browse)
        opts.addWidget(self.validate_button)
        opts.addWidget(self.progress)
        opts.addWidget(self.cancel_button)

        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.findings = FindingsTree()
        self.findings.go_to_requested.connect(self.go_to)
        self.findings.itemSelectionChanged.connect(self._selection_changed)
        self.goto_button = QPushButton("Go to")
        self.goto_button.setEnabled(False)
        self.goto_button.clicked.connect(self._go_to_selected)
        self.fix_button = QPushButton("Write fixed copy…")
        self.fix_button.setToolTip("Strip the BOM, drop blank lines, convert a JSON array "
                                   "to JSONL and drop exact duplicates into a NEW file; the "
                                   "original is never changed.")
        self.fix_button.setEnabled(False)
        self.fix_button.clicked.connect(lambda: self.write_fixed_copy())
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.summary_label)
        lv.addWidget(self.findings, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.goto_button)
        actions.addStretch(1)
        actions.addWidget(self.fix_button)
        lv.addLayout(actions)

        self.viewer_title = QLabel("Choose a finding and Go to: the line is shown here.")
        self.viewer = QPlainTextEdit()
        self.viewer.setReadOnly(True)
        self.viewer.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.viewer.setObjectName("validate_line_viewer")
        self.viewer.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        line_tab = QWidget()
        ltv = QVBoxLayout(line_tab)
        ltv.setContentsMargins(4, 4, 4, 4)
        ltv.addWidget(self.viewer_title)
        ltv.addWidget(self.viewer, 1)
        self.manifest_view = QPlainTextEdit()
        self.manifest_view.setReadOnly(True)
        self.manifest_view.setPlaceholderText("Export a dataset to see its manifest.")
        self.tabs = QTabWidget()
        self.tabs.addTab(line_tab, "Line")
        self.tabs.addTab(self.manifest_view, "Manifest")

        stats_box = QGroupBox("Statistics")
        self.stats_form = QFormLayout(stats_box)
        self.stat_labels: dict[str, QLabel] = {}
        for key, title in (("format", "Format"), ("examples", "Examples / lines"),
                           ("verdicts", "Lines ok / warn / error"),
                           ("blank", "Blank lines / duplicates"),
                           ("tokens", "Tokens"), ("spread", "min / p50 / p95 / max"),
                           ("limit", "Limit"), ("billed", "Billed tokens"),
                           ("cost", "Estimated cost")):
            label = QLabel("–")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            self.stat_labels[key] = label
            self.stats_form.addRow(title, label)
        hist_box = QGroupBox("Token histogram")
        hv = QVBoxLayout(hist_box)
        self.histogram = TokenHistogram()
        hv.addWidget(self.histogram)
        bottom = QWidget()
        bh = QHBoxLayout(bottom)
        bh.setContentsMargins(0, 0, 0, 0)
        # The statistics are sentences (cost with its price date): give them the width
        bh.addWidget(stats_box, 3)
        bh.addWidget(hist_box, 2)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.tabs)
        right.addWidget(bottom)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)
        right.setSizes([360, 440])  # the one-line viewer needs less than nine statistics
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([820, 640])  # messages need the width more than the viewer

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(opts)
        layout.addWidget(self.splitter, 1)

    # -- state -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while a validation or export runs."""
        return self._handle is not None

    def _set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        self.validate_button.setEnabled(not running and self.path is not None)
        has_project = self.context.project is not None
        self.dataset_button.setEnabled(not running and has_project)
        self.export_button.setEnabled(not running and has_project)
        if running:
            self.progress.setValue(0)
            self.progress.setFormat("Starting…")

    def _on_project_changed(self, _project: object) -> None:
        if self.export_result is not None and self.path is not None:
            self._clear_source()  # the dataset export belonged to the old project
        self._set_running(self.running)

    def _clear_source(self) -> None:
        self.path = None
        self.report = None
        self.export_result = None
        self.file_combo.setVisible(False)
        self.findings.clear()
        self.viewer.clear()
        self.histogram.set_stats(None)
        self.source_label.setText("Open a JSONL file or choose a dataset to validate.")
        self.summary_label.setText("")
        self.detected_label.setText("")
        self.fix_button.setEnabled(False)

    def _drop_temp(self) -> None:
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    # -- sources ---------------------------------------------------------------------

    def open_file(self, path: str | Path) -> None:
        """Show ``path`` (a JSONL file) and validate it."""
        self.cancel()
        self._drop_temp()
        self._clear_source()
        self.path = Path(path)
        self.source_label.setText(str(self.path))
        self.source_label.setToolTip(str(self.path))
        self.validate()

    def _open_dialog(self) -> None:
        start = str(self.path.parent) if self.path else ""
        name, _ = QFileDialog.getOpenFileName(self, "Open a JSONL file", start, JSONL_FILTER)
        if name:
            self.open_file(name)

    def _schema_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "JSON Schema for assistant outputs", "",
                                              "JSON Schema (*.json);;All files (*)")
        if name:
            self.schema_edit.setText(name)

    def _dataset_dialog(self) -> None:
        if self.context.project is None:
            return
        dialog = DatasetExportDialog(self.context.project, export=False, parent=self)
        try:
            if dialog.exec():
                choice = dialog.choice()
                if choice is not None:
                    self.validate_dataset(choice)
        finally:
            dialog.deleteLater()

    def _export_dialog(self) -> None:
        if self.context.project is None:
            return
        dialog = DatasetExportDialog(self.context.project, export=True, parent=self)
        try:
            if dialog.exec():
                choice = dialog.choice()
                if choice is not None and choice.out_dir is not None:
                    from studio.core.export.run import (
                        MANIFEST_FILE,
                        TRAIN_FILE,
                        VALIDATION_FILE,
                    )
                    from studio.ui.widgets.save_path import confirm_output

                    if not confirm_output(self, self.context, choice.out_dir, folder=True,
                                          writes=(TRAIN_FILE, VALIDATION_FILE,
                                                  MANIFEST_FILE)):
                        return
                    self.export_to(choice)
        finally:
            dialog.deleteLater()

    def validate_dataset(self, choice: ExportChoice) -> None:
        """Export ``choice`` to a temporary folder (kept even if invalid) and validate it."""
        self._drop_temp()
        self._temp = tempfile.TemporaryDirectory(prefix="studio-validate-")
        out = Path(self._temp.name)
        self._run_export(choice, out, keep_failed=True)

    def export_to(self, choice: ExportChoice) -> None:
        """Write a real export (deleted again if it fails validation); show the manifest."""
        if choice.out_dir is None:
            raise ValueError("export_to needs an output folder")
        self._run_export(choice, choice.out_dir, keep_failed=False)

    def _run_export(self, choice: ExportChoice, out: Path, *, keep_failed: bool) -> None:
        project = self.context.project
        if project is None:
            return
        self.cancel()
        self._generation += 1
        generation = self._generation
        token = CancelToken()
        model = self.model_combo.currentData()
        self._export_model = model

        def work(report: Any) -> ExportResult:
            return export_dataset(project, choice.dataset_id, choice.target, choice.prompt_ref,
                                  out, validation_fraction=choice.validation_fraction,
                                  output_template=choice.output_template, model=model,
                                  keep_failed=keep_failed, progress=report, cancel=token)

        self._token = token
        self._set_running(True)
        self.progress.setFormat("Exporting…")
        self._handle = self.context.runner.run(
            work, on_done=lambda r: self._export_done(generation, choice, r, keep_failed),
            on_error=lambda e: self._failed(generation, e),
            on_cancel=lambda: self._cancelled(generation),
            on_progress=lambda p: self._progressed(generation, p), token=token, db=True)
        self._set_running(True)

    def _export_done(self, generation: int, choice: ExportChoice, result: ExportResult,
                     temporary: bool) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        self._handle = None
        self._token = None
        self._set_running(False)
        self.export_result = result
        self.manifest_view.setPlainText(self._manifest_text(result))
        self.export_finished.emit(result)
        if not temporary:
            self.context.show_status(result.message, 8000 if result.ok else 0)
            self.tabs.setCurrentIndex(1)
            if not result.ok:
                self.context.show_error(result.message)
                self._clear_source()
                self.export_result = result
                return
        self._show_export_file(result, choice)

    def _show_export_file(self, result: ExportResult, choice: ExportChoice) -> None:
        self.file_combo.blockSignals(True)
        self.file_combo.clear()
        for f in result.files:
            self.file_combo.addItem(f"{f.role} ({f.count:,} records)", str(f.path))
        self.file_combo.blockSignals(False)
        self.file_combo.setVisible(len(result.files) > 1)
        i = self.format_combo.findData(result.target)
        if i >= 0:
            self.format_combo.setCurrentIndex(i)
        self.path = None
        self.source_label.setText(f"{choice.dataset_name} through {choice.prompt_ref} "
                                  f"as {result.target}")
        self.source_label.setToolTip(str(result.out_dir))
        if result.files:
            self._show_export_report(result, result.files[0])

    def _file_combo_changed(self, _index: int) -> None:
        data = self.file_combo.currentData()
        if data and self.export_result is not None:
            file = next((f for f in self.export_result.files if str(f.path) == data), None)
            if file is not None:
                self._show_export_report(self.export_result, file)

    def _show_export_report(self, result: ExportResult, file: FileResult) -> None:
        """Show ``file`` of an export with the report the export already made.

        ``export_dataset`` validated every file it wrote; parse it again only when the
        view's settings would give another report (a schema, another model or format).
        """
        self.path = Path(file.path)
        report = file.report
        if (report is None or self.schema_edit.text().strip()
                or self.selected_format() != result.target
                or self.selected_model() != self._export_model):
            self.validate()
            return
        self.cancel()
        self._generation += 1
        self._validated(self._generation, report)

    @staticmethod
    def _manifest_text(result: ExportResult) -> str:
        data = dict(result.manifest)
        lines = data.get("lines") or {}
        data["lines"] = {k: f"{len(v):,} example ids (line order)" for k, v in lines.items()}
        head = result.message + "\n\n"
        return head + json.dumps(data, indent=2, ensure_ascii=False)

    # -- validation ------------------------------------------------------------------

    def selected_format(self) -> str:
        """The format combo's value ("auto" or a format name)."""
        return str(self.format_combo.currentData())

    def selected_model(self) -> str | None:
        """The model combo's value (None: the format's default)."""
        text = self.model_combo.currentText().strip()
        data = self.model_combo.currentData()
        if data is None and (not text or text == self.model_combo.itemText(0)):
            return None
        return str(data) if data and text == data else text

    def _load_schema(self) -> dict[str, Any] | None:
        text = self.schema_edit.text().strip()
        if not text:
            return None
        path = Path(text)
        from studio.core.json_depth import check_text_depth

        try:
            raw = path.read_text(encoding="utf-8")
            check_text_depth(raw, f"The schema file {path}")
            data = json.loads(raw)
        except OSError as exc:
            raise UserError(f"Cannot read the schema file {path}: {exc.strerror or exc}.",
                            where=str(path)) from None
        except ValueError as exc:
            raise UserError(f"The schema file {path} is not valid JSON: {exc}.",
                            where=str(path)) from None
        if not isinstance(data, dict):
            raise UserError(f"The schema file {path} must hold a JSON object.",
                            where=str(path))
        return data

    def validate(self) -> None:
        """Validate the current file off the GUI thread (cancels a running validation)."""
        if self.path is None:
            return
        try:
            schema = self._load_schema()
        except UserError as exc:
            self.context.show_error(exc)
            return
        self.cancel()
        self._generation += 1
        generation = self._generation
        token = CancelToken()
        path, fmt, model = self.path, self.selected_format(), self.selected_model()

        def work(report: Any) -> ValidationReport:
            return core_validate_file(path, fmt, model=model, schema=schema, progress=report,
                                      cancel=token)

        self._token = token
        self._set_running(True)
        self.progress.setFormat("Validating… %p%")
        self._handle = self.context.runner.run(
            work, on_done=lambda r: self._validated(generation, r),
            on_error=lambda e: self._failed(generation, e),
            on_cancel=lambda: self._cancelled(generation),
            on_progress=lambda p: self._progressed(generation, p), token=token, db=False)
        self._set_running(True)

    def cancel(self) -> None:
        """Stop the running validation or export (its result is then ignored)."""
        if self._handle is not None:
            self._handle.cancel()

    def _progressed(self, generation: int, p: Progress) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        frac = p.fraction
        if frac is not None:
            self.progress.setValue(int(frac * 1000))
        if p.message:
            self.progress.setFormat(f"{p.message}  %p%")

    def _cancelled(self, generation: int) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        self._handle = None
        self._token = None
        self._set_running(False)
        self.context.show_status("Validation cancelled.")
        self.validation_cancelled.emit()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        self._handle = None
        self._token = None
        self._set_running(False)
        if isinstance(exc, UserError) and exc.where == "schema":
            # The validator does not know the schema came from a file: name it
            detail = exc.message.removeprefix("The output JSON Schema is invalid: ")
            exc = UserError(f"The schema file {self.schema_edit.text().strip()} is not a valid "
                            f"JSON Schema: {detail}", where="schema")
        self.context.show_error(exc)

    def _validated(self, generation: int, report: ValidationReport) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        self._handle = None
        self._token = None
        self._set_running(False)
        self.report = report
        self.findings.set_findings(report.findings, report.stats.get("findings_by_code"))
        self._show_summary(report)
        self._show_stats(report)
        codes = report.codes()
        self.fix_button.setEnabled(self.export_result is None and bool(codes & FIXABLE_CODES))
        self.validation_finished.emit(report)

    # -- results ---------------------------------------------------------------------

    def _show_summary(self, report: ValidationReport) -> None:
        errors = sum(1 for f in report.findings if f.severity == "error")
        warnings = sum(1 for f in report.findings if f.severity == "warning")
        verdict = ("<b style='color:#2e7d32'>Valid</b>" if report.valid
                   else "<b style='color:#c62828'>Invalid</b>")
        unreadable = [f for f in report.findings if f.code == "cannot_read"]
        if unreadable:
            # A file deleted or locked since it was opened: that is the whole story
            self.summary_label.setText(
                f"<b style='color:#c62828'>Not validated.</b> {html.escape(unreadable[0].message)}")
            return

        def count(n: int, word: str) -> str:
            return f"{n:,} {word}{'' if n == 1 else 's'}"

        self.summary_label.setText(
            f"{verdict} for <b>{report.format}</b>: {count(report.examples, 'example')}, "
            f"{count(errors, 'error')}, {count(warnings, 'warning')} listed.")
        formats = report.stats.get("format_counts") or {}
        mixed = len([k for k in formats if k != "unknown"]) > 1 or \
            "mixed_formats" in report.codes()
        if mixed:
            shown = ", ".join(f"{k} {v:,}" for k, v in
                              sorted(formats.items(), key=lambda kv: -kv[1]))
            self.detected_label.setText(f"<span style='color:#c62828'>⚠ mixed formats: "
                                        f"{shown}</span>")
        elif self.selected_format() == "auto":
            self.detected_label.setText(f"detected: <b>{report.format}</b>")
        else:
            self.detected_label.setText("")

    def _show_stats(self, report: ValidationReport) -> None:
        s = report.stats
        tokens = s.get("tokens") or {}
        training = s.get("training") or {}
        verdicts = s.get("verdicts") or {}
        set_ = self.stat_labels
        set_["format"].setText(report.format + (f" (detected from {s['detected_from']})"
                                                if s.get("detected_from") else ""))
        set_["examples"].setText(f"{report.examples:,} / {s.get('lines', 0):,}")
        set_["verdicts"].setText(f"{verdicts.get('ok', 0) + verdicts.get('info', 0):,} / "
                                 f"{verdicts.get('warning', 0):,} / {verdicts.get('error', 0):,}")
        set_["blank"].setText(f"{s.get('blank_lines', 0):,} / {s.get('duplicates', 0):,}")
        if tokens.get("count"):
            how = "exact" if tokens.get("exact") else "estimated"
            set_["tokens"].setText(f"{tokens['total']:,} ({tokens.get('encoding')}, {how}); "
                                   f"mean {tokens['mean']:,}")
            set_["spread"].setText(f"{tokens['min']:,} / {tokens['p50']:,} / "
                                   f"{tokens['p95']:,} / {tokens['max']:,}")
        else:
            set_["tokens"].setText("–")
            set_["spread"].setText("–")
        limit = tokens.get("limit")
        set_["limit"].setText(f"{limit:,} tokens; {tokens.get('over_limit', 0):,} over"
                              if limit else "none known")
        set_["billed"].setText(f"{training.get('billed_tokens', 0):,} "
                               f"({training.get('epochs')} epochs)")
        cost = training.get("estimated_cost")
        as_of = training.get("price_as_of")
        if cost is not None:
            set_["cost"].setText(f"{cost:,.4f} {training.get('currency') or 'USD'} on "
                                 f"{training.get('model')} (prices as of {as_of})")
        else:
            set_["cost"].setText(f"no price for {training.get('model')}"
                                 + (f" (table of {as_of})" if as_of else ""))
        self.histogram.set_stats(tokens)

    # -- go to -----------------------------------------------------------------------

    def _selection_changed(self) -> None:
        f = self.findings.finding_of(self.findings.currentItem())
        self.goto_button.setEnabled(f is not None and f.line is not None)

    def _go_to_selected(self) -> None:
        f = self.findings.finding_of(self.findings.currentItem())
        if f is not None:
            self.go_to(f)

    def example_for_line(self, line: int | None) -> int | None:
        """The dataset example behind ``line`` of the shown export file (else None)."""
        if self.export_result is None or self.path is None:
            return None
        return self.export_result.example_for_line(self.path, line)

    def go_to(self, finding: Finding) -> None:
        """Show the finding's line; for a dataset export also open the example."""
        if finding.line is None or self.path is None:
            return
        self.show_line(finding.line, finding)
        example = self.example_for_line(finding.line)
        if example is not None and self.export_result is not None:
            dataset_id = self.export_result.manifest.get("dataset", {}).get("id")
            self.context.navigate_requested.emit(
                "datasets", {"dataset_id": dataset_id, "example_id": example})

    def show_line(self, line: int, finding: Finding | None = None) -> None:
        """Read line ``line`` from disk off the GUI thread, then show it in the viewer.

        Going to line 900,000 streams through the file (seconds on a big one): the
        window stays responsive meanwhile (ISSUE-11 §5); a newer request wins.
        """
        if self.path is None:
            return
        path = self.path
        self._line_gen = getattr(self, "_line_gen", 0) + 1
        gen = self._line_gen
        self.viewer_title.setText(f"Reading line {line:,}…")

        def done(got: LineText | None) -> None:
            if gen == self._line_gen and path == self.path:
                self._show_line_text(line, got, finding)

        def failed(exc: BaseException) -> None:
            if gen != self._line_gen:
                return
            if isinstance(exc, OSError):
                self.context.show_error(f"Cannot read {path}: {exc.strerror or exc}.")
            else:
                self.context.show_error(exc)

        self.context.runner.run(
            lambda: read_line(path, line), on_done=done, on_error=failed, db=False
        )

    def _show_line_text(self, line: int, got: LineText | None, finding: Finding | None) -> None:
        self.tabs.setCurrentIndex(0)
        if got is None:
            self.viewer_title.setText(f"Line {line:,} is past the end of the file.")
            self.viewer.clear()
            return
        example = self.example_for_line(line)
        title = f"Line {line:,}" + (f" - example {example}" if example is not None else "")
        title += f" ({got.byte_length:,} bytes"
        title += ", starts with a BOM" if got.had_bom else ""
        title += ", first 20,000 characters shown)" if got.truncated else ")"
        if finding is not None:
            title += f"  [{finding.code}]"
        self.viewer_title.setText(title)
        text = got.text if got.text.strip() else "(blank line)"
        pretty = ""
        if not got.truncated and got.text.strip():
            try:
                parsed = json.loads(got.text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict | list):
                pretty = json.dumps(parsed, indent=2, ensure_ascii=False)[:PRETTY_MAX_CHARS]
        self.viewer.setPlainText(text + (f"\n\n── formatted ──\n{pretty}" if pretty else ""))
        self._mark_column(finding, len(text))
        self.line_shown.emit(line)

    def _mark_column(self, finding: Finding | None, raw_length: int) -> None:
        """Highlight the character a JSON error points at (``column N``)."""
        selections: list[QTextEdit.ExtraSelection] = []
        m = _COLUMN_RE.search(finding.message) if finding is not None else None
        if m is not None:
            col = max(0, min(int(m.group(1)) - 1, raw_length - 1))
            cursor = QTextCursor(self.viewer.document())
            cursor.setPosition(col)
            cursor.movePosition(QTextCursor.MoveOperation.NextCharacter,
                                QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setBackground(QColor("#e53935"))
            fmt.setForeground(QColor("#ffffff"))
            fmt.setFontWeight(QFont.Weight.Bold)
            sel = QTextEdit.ExtraSelection()
            sel.cursor = cursor
            sel.format = fmt
            selections.append(sel)
        self.viewer.setExtraSelections(selections)

    # -- fixes -----------------------------------------------------------------------

    def write_fixed_copy(self, dst: str | Path | None = None) -> None:
        """Write the safe fixes of the shown file to ``dst`` (asked for when None).

        The original is never modified; the new file is then opened and validated.
        """
        if self.path is None or self.export_result is not None:
            return
        src = self.path
        if dst is None:
            suggestion = src.with_name(f"{src.stem}.fixed.jsonl")
            name, _ = QFileDialog.getSaveFileName(self, "Write the fixed copy to",
                                                  str(suggestion), JSONL_FILTER)
            if not name:
                return
            from studio.ui.widgets.save_path import confirm_output

            if not confirm_output(self, self.context, Path(name), inputs=[src],
                                  dialog_confirmed=True):
                return
            dst = name
        target = Path(dst)
        generation = self._generation

        def work() -> FixResult:
            return fix_file(src, target)

        def done(result: FixResult) -> None:
            if not shiboken6.isValid(self):
                return
            changed = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in
                                result.counts.items() if v) or "nothing to change"
            self.context.show_status(f"Wrote {target} ({result.lines_written:,} lines; "
                                     f"{changed}). The original is unchanged.", 10000)
            self.fix_written.emit(result, str(target))
            if generation == self._generation:
                self.open_file(target)

        self.context.runner.run(work, on_done=done,
                                on_error=lambda e: self.context.show_error(e), db=False)
