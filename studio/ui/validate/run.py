"""The Validate view's validation run: format and model chosen, schema read, progress, results.

Validation runs on the task runner's work pool with progress and Cancel; results of an
older run are dropped (a generation counter).
"""

from __future__ import annotations

import html
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QWidget,
)

from studio.core.errors import UserError
from studio.core.export import ExportResult
from studio.core.formats import ValidationReport
from studio.core.formats import validate_file as core_validate_file
from studio.core.progress import CancelToken, Progress
from studio.ui.context import AppContext
from studio.ui.validate.findings_tree import FindingsTree
from studio.ui.validate.histogram import TokenHistogram

#: Finding codes the safe fixes remove (strip BOM, drop blank lines, JSON array ->
#: JSONL, drop exact duplicates).
FIXABLE_CODES = frozenset({"utf8_bom", "empty_line", "not_jsonl", "duplicate_example"})


class ValidationRun(QWidget):
    """The lowest layer of the Validate view: one validation at a time, and its report shown.

    The widgets are built by ``ValidateView``; ``DatasetExports`` (exports.py) and
    ``GoToLine`` (go_to.py) sit between the two.

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

    # (Signal and widget declarations like PromptsBrowser's in prompts/browser.py:
    # class attribute shape only.)
    # Built by ValidateView
    open_button: QPushButton
    dataset_button: QPushButton
    export_button: QPushButton
    validate_button: QPushButton
    cancel_button: QPushButton
    fix_button: QPushButton
    goto_button: QPushButton
    source_label: QLabel
    detected_label: QLabel
    summary_label: QLabel
    viewer_title: QLabel
    file_combo: QComboBox
    format_combo: QComboBox
    model_combo: QComboBox
    schema_edit: QLineEdit
    progress: QProgressBar
    tabs: QTabWidget
    findings: FindingsTree
    histogram: TokenHistogram
    viewer: QPlainTextEdit
    manifest_view: QPlainTextEdit
    stat_labels: dict[str, QLabel]

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
            raise UserError(
                f"Cannot read the schema file {path}: {exc.strerror or exc}.", where=str(path)
            ) from None
        except ValueError as exc:
            raise UserError(
                f"The schema file {path} is not valid JSON: {exc}.", where=str(path)
            ) from None
        if not isinstance(data, dict):
            raise UserError(f"The schema file {path} must hold a JSON object.", where=str(path))
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
            return core_validate_file(
                path, fmt, model=model, schema=schema, progress=report, cancel=token
            )

        self._run_work(
            work,
            generation,
            token,
            lambda r: self._validated(generation, r),
            progress_format="Validating… %p%",
            db=False,
        )

    def _run_work(
        self,
        work: Callable[[Any], Any],
        generation: int,
        token: CancelToken,
        on_done: Callable[[Any], None],
        *,
        progress_format: str,
        db: bool,
    ) -> None:
        """Run ``work`` on the runner as ``generation``: progress, cancel and errors of an
        older generation are ignored (shared by validating a file and exporting a dataset).
        """
        self._token = token
        self._set_running(True)
        self.progress.setFormat(progress_format)
        self._handle = self.context.runner.run(
            work,
            on_done=on_done,
            on_error=lambda e: self._failed(generation, e),
            on_cancel=lambda: self._cancelled(generation),
            on_progress=lambda p: self._progressed(generation, p),
            token=token,
            db=db,
        )
        self._set_running(True)

    def cancel(self) -> None:
        """Stop the running validation or export (its result is then ignored)."""
        if self._handle is not None:
            self._handle.cancel()

    def _work_ended(self, generation: int) -> bool:
        """The work of ``generation`` ended: False when a newer one replaced it (or the
        view is gone) and its result is ignored, else clear the handle and stop running.
        """
        if generation != self._generation or not shiboken6.isValid(self):
            return False
        self._handle = None
        self._token = None
        self._set_running(False)
        return True

    def _progressed(self, generation: int, p: Progress) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        frac = p.fraction
        if frac is not None:
            self.progress.setValue(int(frac * 1000))
        if p.message:
            self.progress.setFormat(f"{p.message}  %p%")

    def _cancelled(self, generation: int) -> None:
        if not self._work_ended(generation):
            return
        self.context.show_status("Validation cancelled.")
        self.validation_cancelled.emit()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not self._work_ended(generation):
            return
        if isinstance(exc, UserError) and exc.where == "schema":
            # The validator does not know the schema came from a file: name it
            detail = exc.message.removeprefix("The output JSON Schema is invalid: ")
            exc = UserError(
                f"The schema file {self.schema_edit.text().strip()} is not a valid "
                f"JSON Schema: {detail}",
                where="schema",
            )
        self.context.show_error(exc)

    def _validated(self, generation: int, report: ValidationReport) -> None:
        if not self._work_ended(generation):
            return
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
        verdict = (
            "<b style='color:#2e7d32'>Valid</b>"
            if report.valid
            else "<b style='color:#c62828'>Invalid</b>"
        )
        unreadable = [f for f in report.findings if f.code == "cannot_read"]
        if unreadable:
            # A file deleted or locked since it was opened: that is the whole story
            self.summary_label.setText(
                f"<b style='color:#c62828'>Not validated.</b> {html.escape(unreadable[0].message)}"
            )
            return

        def count(n: int, word: str) -> str:
            return f"{n:,} {word}{'' if n == 1 else 's'}"

        self.summary_label.setText(
            f"{verdict} for <b>{report.format}</b>: {count(report.examples, 'example')}, "
            f"{count(errors, 'error')}, {count(warnings, 'warning')} listed."
        )
        formats = report.stats.get("format_counts") or {}
        mixed = len([k for k in formats if k != "unknown"]) > 1 or "mixed_formats" in report.codes()
        if mixed:
            shown = ", ".join(
                f"{k} {v:,}" for k, v in sorted(formats.items(), key=lambda kv: -kv[1])
            )
            self.detected_label.setText(
                f"<span style='color:#c62828'>⚠ mixed formats: {shown}</span>"
            )
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
        set_["format"].setText(
            report.format
            + (f" (detected from {s['detected_from']})" if s.get("detected_from") else "")
        )
        set_["examples"].setText(f"{report.examples:,} / {s.get('lines', 0):,}")
        set_["verdicts"].setText(
            f"{verdicts.get('ok', 0) + verdicts.get('info', 0):,} / "
            f"{verdicts.get('warning', 0):,} / {verdicts.get('error', 0):,}"
        )
        set_["blank"].setText(f"{s.get('blank_lines', 0):,} / {s.get('duplicates', 0):,}")
        if tokens.get("count"):
            how = "exact" if tokens.get("exact") else "estimated"
            set_["tokens"].setText(
                f"{tokens['total']:,} ({tokens.get('encoding')}, {how}); mean {tokens['mean']:,}"
            )
            set_["spread"].setText(
                f"{tokens['min']:,} / {tokens['p50']:,} / {tokens['p95']:,} / {tokens['max']:,}"
            )
        else:
            set_["tokens"].setText("–")
            set_["spread"].setText("–")
        limit = tokens.get("limit")
        set_["limit"].setText(
            f"{limit:,} tokens; {tokens.get('over_limit', 0):,} over" if limit else "none known"
        )
        set_["billed"].setText(
            f"{training.get('billed_tokens', 0):,} ({training.get('epochs')} epochs)"
        )
        cost = training.get("estimated_cost")
        as_of = training.get("price_as_of")
        if cost is not None:
            set_["cost"].setText(
                f"{cost:,.4f} {training.get('currency') or 'USD'} on "
                f"{training.get('model')} (prices as of {as_of})"
            )
        else:
            set_["cost"].setText(
                f"no price for {training.get('model')}" + (f" (table of {as_of})" if as_of else "")
            )
        self.histogram.set_stats(tokens)
