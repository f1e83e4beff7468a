"""The Decide view: the guided form on the left, the traced recommendation on the right.

Saving the answers, gathering the evidence (duplicates, validation, token counts) and
deciding all run on the database thread through ``context.runner``; results arrive on
the GUI thread and are dropped if another project was opened meanwhile. When the
project opens with saved answers the decision is computed at once, so the view never
shows numbers from an older state of the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core.decide.answers import DecisionAnswers
from studio.core.decide.decision import Decision
from studio.core.errors import UserError
from studio.ui.context import AppContext
from studio.ui.decide.form import DecisionForm
from studio.ui.decide.results import DecisionPanel

if TYPE_CHECKING:
    from studio.core.db.project import Project

AUTOMATIC_DATASET = "Automatic (latest evaluated)"
REPORT_FILTERS = "HTML report (*.html);;Markdown report (*.md)"
#: Areas whose changes can move the evidence (the view then says its numbers may be old).
EVIDENCE_AREAS = frozenset({"datasets", "evals", "prompts"})


@dataclass(frozen=True)
class _Loaded:
    answers: DecisionAnswers | None
    datasets: list[str]


def _price_models() -> list[str]:
    try:
        from studio.core.tokens.prices import load_price_table

        return sorted(load_price_table().models)
    except UserError:
        return []


class DecideView(QWidget):
    """Guided form, Recompute, the recommendation with reasons, charts and Export Report….

    Signals:
        answers_loaded(object): the form shows the project's answers (or None: no answers).
        answers_saved(object): the answers were written to the project.
        decision_shown(object): a new :class:`Decision` is on screen.
    """

    answers_loaded = Signal(object)
    answers_saved = Signal(object)
    decision_shown = Signal(object)
    report_written = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.today: date | None = None  # None = the clock's date at each recompute
        self._computing = False
        self._dirty = False
        # Saved answers are decided on when the view is first seen, not while hidden: the
        # evidence (duplicates, validation) would hold the database thread for seconds.
        self._pending_recompute = False

        self.form = DecisionForm(_price_models())
        self.form.changed.connect(self._on_form_changed)
        self.dataset_combo = QComboBox()
        self.dataset_combo.setObjectName("dataset_combo")
        self.dataset_combo.addItem(AUTOMATIC_DATASET, None)
        self.dataset_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.dataset_combo.setMinimumContentsLength(14)

        self.save_button = QPushButton("Save answers")
        self.save_button.setObjectName("save_button")
        self.save_button.setToolTip("Store the answers in the project file")
        self.save_button.clicked.connect(self.save_answers)
        self.recompute_button = QPushButton("Recompute")
        self.recompute_button.setObjectName("recompute_button")
        self.recompute_button.setDefault(True)
        self.recompute_button.setToolTip(
            "Save the answers, gather the project's evidence and decide again"
        )
        self.recompute_button.clicked.connect(self.recompute)
        self.export_button = QPushButton("Export Report…")
        self.export_button.setObjectName("export_button")
        self.export_button.setToolTip("Write the report as a self-contained HTML page or Markdown")
        self.export_button.clicked.connect(self.export_report)
        self.status_label = QLabel()
        self.status_label.setObjectName("decide_status")
        self.status_label.setStyleSheet("color: gray;")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        intro = QLabel(
            "Tell the studio what you need; it adds the project's own numbers and "
            "recommends a prompt, structured outputs, retrieval or a fine-tune."
        )
        intro.setWordWrap(True)
        left_layout.addWidget(intro)
        left_layout.addWidget(self.form)
        evidence_form = QFormLayout()
        evidence_form.addRow("Evidence from dataset", self.dataset_combo)
        left_layout.addLayout(evidence_form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.recompute_button)
        left_layout.addLayout(buttons)
        left_scroll = QScrollArea()
        left_scroll.setWidget(left)
        left_scroll.setWidgetResizable(True)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_scroll.setMinimumWidth(left.minimumSizeHint().width() + 24)

        self.panel = DecisionPanel()
        right_scroll = QScrollArea()
        right_scroll.setWidget(self.panel)
        right_scroll.setWidgetResizable(True)
        # The report wraps to the pane (charts scale down): never a sideways scroll
        right_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.setContentsMargins(12, 6, 12, 0)
        top.addWidget(self.status_label, 1)
        top.addWidget(self.export_button)
        right_layout.addLayout(top)
        right_layout.addWidget(right_scroll, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left_scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([left_scroll.minimumWidth(), 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        context.project_changed.connect(self._on_project_changed)
        context.data_changed.connect(self._on_data_changed)
        self._on_project_changed(context.project)

    # ------------------------------------------------------------------ state

    @property
    def decision(self) -> Decision | None:
        """The decision on screen (None before the first recompute)."""
        return self.panel.decision

    def _alive(self) -> bool:
        return shiboken6.isValid(self)

    def _update_buttons(self) -> None:
        has_project = self.context.project is not None
        self.form.set_read_only(not has_project)
        self.dataset_combo.setEnabled(has_project)
        self.save_button.setEnabled(has_project and not self._computing)
        self.recompute_button.setEnabled(has_project and not self._computing)
        self.export_button.setEnabled(self.panel.decision is not None and not self._computing)

    def _set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def _on_form_changed(self) -> None:
        self._dirty = True
        if self.panel.decision is not None:
            self._set_status("Answers changed: press Recompute.")

    def _on_data_changed(self, area: str) -> None:
        if area in EVIDENCE_AREAS:
            self.panel.set_stale(True)

    def _run(self, work: Any, on_done: Any, *, db: bool = True) -> None:
        """Run ``work(project)`` off the GUI thread; drop the result if the project changed."""
        project = self.context.project
        if project is None:
            return

        def done(result: Any) -> None:
            if self._alive() and self.context.project is project:
                on_done(result)

        def failed(exc: BaseException) -> None:
            if not self._alive():
                return
            self._computing = False
            self._update_buttons()
            self._set_status("")
            self.context.show_error(exc)

        self.context.runner.run(lambda: work(project), on_done=done, on_error=failed, db=db)

    # ------------------------------------------------------------------ project

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._pending_recompute:
            self._pending_recompute = False
            self.recompute()

    def _on_project_changed(self, project: Project | None) -> None:
        self._computing = False
        self._dirty = False
        self._pending_recompute = False
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        self.dataset_combo.addItem(AUTOMATIC_DATASET, None)
        self.dataset_combo.blockSignals(False)
        self.form.set_answers(DecisionAnswers())
        if project is None:
            self.panel.clear("Open a project to decide what to do next.")
            self._set_status("")
            self._update_buttons()
            return
        self.panel.clear("Answer the questions on the left, then press Recompute.")
        self._update_buttons()
        self._run(_load, self._loaded)

    def _loaded(self, loaded: _Loaded) -> None:
        for name in loaded.datasets:
            self.dataset_combo.addItem(name, name)
        if loaded.answers is not None:
            self.form.set_answers(loaded.answers)
            self._dirty = False
            self.answers_loaded.emit(loaded.answers)
            if self.isVisible():
                self.recompute()
            else:
                self._pending_recompute = True
                self._set_status("Saved answers loaded: the decision is computed when shown.")
        else:
            self._set_status("No answers saved in this project yet.")
            self.answers_loaded.emit(None)

    # ------------------------------------------------------------------ actions

    def _form_answers(self) -> DecisionAnswers | None:
        try:
            return self.form.answers()
        except UserError as exc:
            self.context.show_error(exc)
            return None

    def save_answers(self) -> None:
        """Store the form's answers in the project (database thread)."""
        answers = self._form_answers()
        if answers is None or self.context.project is None:
            return

        def work(project: Project) -> DecisionAnswers:
            from studio.core.decide.store import save_answers

            save_answers(project, answers)
            return answers

        def done(saved: DecisionAnswers) -> None:
            self._dirty = False
            self.context.show_status("Decision answers saved in the project.")
            self.answers_saved.emit(saved)

        self._run(work, done)

    def recompute(self) -> None:
        """Save the answers, gather the evidence and decide (all off the GUI thread)."""
        answers = self._form_answers()
        if answers is None or self.context.project is None or self._computing:
            return
        dataset = self.dataset_combo.currentData()
        today = self.today or date.today()
        self._computing = True
        self._update_buttons()
        self._set_status("Gathering the evidence (duplicates, validation, token counts)…")

        def work(project: Project) -> Decision:
            from studio.core.decide.compute import compute_decision
            from studio.core.decide.store import save_answers, save_report

            save_answers(project, answers)
            decision = compute_decision(project, answers, today=today, dataset=dataset)
            save_report(project, decision.to_json())
            return decision

        self._run(work, self._computed)

    def _computed(self, decision: Decision) -> None:
        self._computing = False
        self._dirty = False
        self.panel.show_decision(decision)
        self.panel.set_stale(False)
        self._set_status(
            f"Computed for {decision.today.isoformat() if decision.today else ''}"
            " from the project's numbers."
        )
        self._update_buttons()
        self.context.data_changed.emit("decide")
        self.decision_shown.emit(decision)

    def export_report(self) -> None:
        """Ask for a file name and write the report as HTML or Markdown."""
        decision = self.panel.decision
        project = self.context.project
        if decision is None or project is None:
            return
        start = str(
            (Path.home() if getattr(project, "is_server", False) else Path(project.path).parent)
            / "decision-report.html"
        )
        path_text, chosen_filter = QFileDialog.getSaveFileName(
            self, "Export Decision Report", start, REPORT_FILTERS
        )
        if not path_text:
            return
        path = Path(path_text)
        if path.suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
            path = path.with_name(path.name + (".md" if "Markdown" in chosen_filter else ".html"))
        from studio.ui.widgets.save_path import confirm_output

        if not confirm_output(self, self.context, path, dialog_confirmed=str(path) == path_text):
            return

        def work(_project: Project) -> str:
            from studio.core.decide.compute import write_report

            write_report(decision, path)
            return str(path)

        def done(written: str) -> None:
            self.context.show_status(f"Report written to {written}.")
            self._set_status(f"Report written to {written}.")
            self.report_written.emit(written)

        self._run(work, done, db=False)


def _load(project: Project) -> _Loaded:
    from sqlalchemy import text

    from studio.core.decide.store import load_saved_answers

    with project.engine.connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT name FROM dataset ORDER BY name"))]
    return _Loaded(load_saved_answers(project), names)
