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

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
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
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import UserError
from studio.core.formats import FORMATS, FixResult, fix_file
from studio.ui.context import AppContext
from studio.ui.validate.findings_tree import FindingsTree
from studio.ui.validate.go_to import GoToLine
from studio.ui.validate.histogram import TokenHistogram

JSONL_FILTER = "JSON Lines (*.jsonl *.json);;All files (*)"


def _price_models() -> list[str]:
    try:
        from studio.core.tokens.prices import load_price_table

        table = load_price_table()
    except UserError:
        return []
    return sorted(name for name, m in table.models.items() if m.max_example_tokens)


class ValidateView(GoToLine):
    """Open a file or a dataset export, validate it, browse findings, fix, export.

    What it does is layered below it: ``ValidationRun`` (run.py: validate, progress,
    results) → ``DatasetExports`` (exports.py) → ``GoToLine`` (go_to.py).

    Signals (declared in ``ValidationRun``): validation_finished(object),
    validation_cancelled(), export_finished(object), fix_written(object, str),
    line_shown(int).
    """

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self._build()
        context.project_changed.connect(self._on_project_changed)
        self._on_project_changed(context.project)
        self._set_running(False)

    # -- layout ----------------------------------------------------------------------

    # The buttons below are built one by one (open ~ fix look alike): each has its own
    # text, tooltip and slot, which a table of them would only hide.
    def _build(self) -> None:
        self.open_button = QPushButton("Open file…")
        self.open_button.clicked.connect(self._open_dialog)
        self.dataset_button = QPushButton("From dataset…")
        self.dataset_button.setToolTip(
            "Validate what a dataset would export: dataset + "
            "prompt version + target, exported to a temporary "
            "folder."
        )
        self.dataset_button.clicked.connect(self._dataset_dialog)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip(
            "Export a dataset for a target: train/validation files, re-validated, with a manifest."
        )
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
            self.format_combo.setItemData(
                self.format_combo.count() - 1, spec.title, Qt.ItemDataRole.ToolTipRole
            )
        self.detected_label = QLabel("")
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)
        self.model_combo.addItem("default for the format", None)
        for m in _price_models():
            self.model_combo.addItem(m, m)
        self.model_combo.setToolTip(
            "Model for the per-example token limit and the cost "
            "estimate (price table in resources/prices.json)."
        )
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
        self.fix_button.setToolTip(
            "Strip the BOM, drop blank lines, convert a JSON array "
            "to JSONL and drop exact duplicates into a NEW file; the "
            "original is never changed."
        )
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
        for key, title in (
            ("format", "Format"),
            ("examples", "Examples / lines"),
            ("verdicts", "Lines ok / warn / error"),
            ("blank", "Blank lines / duplicates"),
            ("tokens", "Tokens"),
            ("spread", "min / p50 / p95 / max"),
            ("limit", "Limit"),
            ("billed", "Billed tokens"),
            ("cost", "Estimated cost"),
        ):
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

    def _on_project_changed(self, _project: object) -> None:
        if self.export_result is not None and self.path is not None:
            self._clear_source()  # the dataset export belonged to the old project
        self._set_running(self.running)

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
        name, _ = QFileDialog.getOpenFileName(
            self, "JSON Schema for assistant outputs", "", "JSON Schema (*.json);;All files (*)"
        )
        if name:
            self.schema_edit.setText(name)

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
            name, _ = QFileDialog.getSaveFileName(
                self, "Write the fixed copy to", str(suggestion), JSONL_FILTER
            )
            if not name:
                return
            from studio.ui.widgets.save_path import confirm_output

            if not confirm_output(
                self, self.context, Path(name), inputs=[src], dialog_confirmed=True
            ):
                return
            dst = name
        target = Path(dst)
        generation = self._generation

        def work() -> FixResult:
            return fix_file(src, target)

        def done(result: FixResult) -> None:
            if not shiboken6.isValid(self):
                return
            changed = (
                ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result.counts.items() if v)
                or "nothing to change"
            )
            self.context.show_status(
                f"Wrote {target} ({result.lines_written:,} lines; "
                f"{changed}). The original is unchanged.",
                10000,
            )
            self.fix_written.emit(result, str(target))
            if generation == self._generation:
                self.open_file(target)

        self.context.runner.run(
            work, on_done=done, on_error=lambda e: self.context.show_error(e), db=False
        )
