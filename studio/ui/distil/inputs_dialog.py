"""“Generate Inputs…”: the plan grid of synthetic inputs, its cost, Run, progress, outcome.

The form (model, how many, per label, examples per call, temperature, the instruction
rows) makes a :class:`~studio.core.distil.plan.GenerationPlan` on the database thread
(:func:`~studio.core.distil.plan.make_plan`); the grid shows it with labels down and
instructions across, and every count in it can be edited. Changing the count, "per
label" or the instructions re-splits the grid; the other settings keep the edits.
After every change the calls, tokens and cost are estimated on the database thread
(:func:`~studio.core.distil.inputs.estimate_plan`) and the Run button names them, so
pressing it is the confirmation (ISSUE 13 §2). The run goes to the work pool with a
:class:`CancelToken` (Cancel adds nothing; answered calls are cached), and the outcome
says how many inputs were added, dropped as near-duplicates, refused as test leaks, and
failed.
"""

from __future__ import annotations

import copy
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.distil.inputs import InputsOutcome, PlanEstimate
from studio.core.distil.plan import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EXAMPLES,
    DEFAULT_INSTRUCTIONS,
    MAX_BATCH_SIZE,
    MAX_COUNT,
    MAX_EXAMPLES,
    GenerationPlan,
)
from studio.core.errors import UserError
from studio.core.progress import CancelToken, Progress
from studio.ui.context import AppContext
from studio.ui.distil.provider_picker import ProviderPicker, key_for
from studio.ui.evaluate.text import usd
from studio.ui.widgets.labels import wrapped_label
from studio.ui.workers import TaskHandle

ANY_LABEL = "(any label)"
DEFAULT_COUNT = 50


def outcome_text(outcome: InputsOutcome) -> str:
    """What the dialog says when a run ends."""
    if outcome.cancelled:
        return (
            "Cancelled: nothing was added. The calls already answered are cached, so "
            "running the plan again costs only the rest."
        )
    return (
        f"Asked for {outcome.requested:,}, received {outcome.generated:,}: "
        f"{outcome.added:,} added, {outcome.near_duplicates:,} near-duplicate(s) dropped, "
        f"{outcome.test_leaks:,} test leak(s) refused, {outcome.failed:,} failed "
        f"({outcome.failed_calls:,} failed call(s)). {outcome.calls:,} call(s), "
        f"cost {usd(outcome.cost_usd)}."
        + (" Undo removes the added rows." if outcome.op_id is not None else "")
    )


class InputsDialog(QDialog):
    """The synthetic-inputs plan, editable, with cost, Run, progress, Cancel and outcome.

    Signals:
        plan_ready(object): a new grid is on screen (:class:`GenerationPlan`).
        estimate_shown(object): its :class:`PlanEstimate` is on screen.
        run_finished(object): an :class:`InputsOutcome` arrived.
    """

    plan_ready = Signal(object)
    estimate_shown = Signal(object)
    run_finished = Signal(object)

    def __init__(self, context: AppContext, dataset: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("distilInputsDialog")
        self.context = context
        # A DatasetInfo (the Distil view), or a dataset id or name
        self.dataset_ref: int | str = getattr(dataset, "id", dataset)
        self.dataset_name = str(getattr(dataset, "name", dataset))
        self.setWindowTitle(f"Generate Inputs — {self.dataset_name}")
        self.plan: GenerationPlan | None = None
        self.estimate: PlanEstimate | None = None
        self.outcome: InputsOutcome | None = None
        self._handle: TaskHandle | None = None
        self._generation = 0
        self._filling = False
        self._can_per_label = False  # a classification dataset with labels

        self.provider = ProviderPicker(context)
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("inputs_model_combo")
        self.model_combo.setEditable(True)
        self.model_combo.setMinimumContentsLength(18)
        self.count_spin = self._spin("inputs_count_spin", 1, MAX_COUNT, DEFAULT_COUNT)
        self.per_label = QCheckBox("Per label: fill the rarest labels first")
        self.per_label.setObjectName("inputs_per_label")
        self.per_label.setEnabled(False)  # until the dataset is known to classify
        self.examples_spin = self._spin("inputs_examples_spin", 0, MAX_EXAMPLES, DEFAULT_EXAMPLES)
        self.examples_spin.setToolTip("Seed rows shown per call (never test rows)")
        self.batch_spin = self._spin("inputs_batch_spin", 1, MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE)
        self.batch_spin.setToolTip("New inputs asked for in one call")
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setObjectName("inputs_temperature_spin")
        self.temperature_spin.setRange(0.0, 2.0)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setDecimals(1)
        self.temperature_spin.setValue(1.0)
        self.seed_spin = self._spin("inputs_seed_spin", 0, 1_000_000, 0)
        self.seed_spin.setToolTip(
            "Another seed shows other seed rows (new questions); the same seed re-asks "
            "and is answered from the cache"
        )

        self.instructions = QListWidget()
        self.instructions.setObjectName("inputs_instructions")
        self.instructions.setMinimumHeight(90)
        self.add_instruction_button = QPushButton("Add")
        self.add_instruction_button.setObjectName("inputs_add_instruction")
        self.remove_instruction_button = QPushButton("Remove")
        self.remove_instruction_button.setObjectName("inputs_remove_instruction")
        self.add_instruction_button.clicked.connect(self.add_instruction)
        self.remove_instruction_button.clicked.connect(self.remove_instruction)

        self.grid = QTableWidget()
        self.grid.setObjectName("inputs_plan_grid")
        self.grid.setMinimumHeight(160)
        self.grid.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.totals_label = wrapped_label(
            "inputs_totals", "The plan appears when the form is complete."
        )
        self.problem_label = wrapped_label("inputs_problem")
        self.problem_label.setStyleSheet("color: #b3261e;")
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("inputs_progress")
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel Run")
        self.cancel_button.setObjectName("inputs_cancel_button")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_run)
        self.outcome_label = wrapped_label("inputs_outcome")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.run_button = QPushButton("Generate")
        self.run_button.setObjectName("inputs_run_button")
        self.run_button.setEnabled(False)
        self.run_button.setDefault(True)
        self.buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.run_button.clicked.connect(self.run)
        self.buttons.rejected.connect(self.reject)

        form = QGroupBox("Writer")
        ff = QFormLayout(form)
        ff.addRow("Provider:", self.provider)
        ff.addRow("Model:", self.model_combo)
        counts = QHBoxLayout()
        counts.addWidget(self.count_spin)
        counts.addSpacing(12)
        counts.addWidget(self.per_label)
        counts.addStretch(1)
        ff.addRow("New inputs:", counts)
        sampling = QHBoxLayout()
        for text, widget in (
            ("Examples per call:", self.examples_spin),
            ("Inputs per call:", self.batch_spin),
            ("Temperature:", self.temperature_spin),
            ("Seed:", self.seed_spin),
        ):
            sampling.addWidget(QLabel(text))
            sampling.addWidget(widget)
        sampling.addStretch(1)
        ff.addRow(sampling)
        variations = QGroupBox("Instructions (one grid column each)")
        vl = QHBoxLayout(variations)
        vl.addWidget(self.instructions, 1)
        side = QVBoxLayout()
        side.addWidget(self.add_instruction_button)
        side.addWidget(self.remove_instruction_button)
        side.addStretch(1)
        vl.addLayout(side)
        plan = QGroupBox("Plan (before any call): double-click a count to change it")
        pl = QVBoxLayout(plan)
        pl.addWidget(self.grid, 1)
        pl.addWidget(self.totals_label)
        run_row = QHBoxLayout()
        run_row.addWidget(self.progress_bar, 1)
        run_row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(form)
        layout.addWidget(variations)
        layout.addWidget(plan, 1)
        layout.addWidget(self.problem_label)
        layout.addLayout(run_row)
        layout.addWidget(self.outcome_label)
        layout.addWidget(self.buttons)
        self.setMinimumSize(720, 640)

        self._replan = QTimer(self)
        self._replan.setSingleShot(True)
        self._replan.setInterval(300)
        self._replan.timeout.connect(self.make_plan)
        self._reestimate = QTimer(self)
        self._reestimate.setSingleShot(True)
        self._reestimate.setInterval(300)
        self._reestimate.timeout.connect(self.refresh_estimate)

        self.set_instructions(DEFAULT_INSTRUCTIONS)
        self.provider.changed.connect(self._provider_changed)
        self.model_combo.currentTextChanged.connect(lambda _t: self._settings_changed())
        self.count_spin.valueChanged.connect(lambda _v: self._grid_changed())
        self.per_label.toggled.connect(lambda _c: self._grid_changed())
        for spin in (self.examples_spin, self.batch_spin, self.seed_spin):
            spin.valueChanged.connect(lambda _v: self._settings_changed())
        self.temperature_spin.valueChanged.connect(lambda _v: self._settings_changed())
        self.instructions.itemChanged.connect(lambda _i: self._grid_changed())
        self.grid.itemChanged.connect(self._cell_edited)
        self._provider_changed()
        self._load_dataset()

    @staticmethod
    def _spin(name: str, low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setValue(value)
        return spin

    # -- the form --------------------------------------------------------------------------
    def _load_dataset(self) -> None:
        project = self.context.project
        if project is None:
            return
        from studio.core.datasets.catalog import get_dataset

        def loaded(info: Any) -> None:
            if not shiboken6.isValid(self):
                return
            self.dataset_ref = info.id
            classify = info.task_type == "classification" and bool(info.label_set)
            self._can_per_label = classify
            self.per_label.setEnabled(classify)
            self.per_label.blockSignals(True)
            self.per_label.setChecked(classify)
            self.per_label.blockSignals(False)
            self._grid_changed()

        ref = self.dataset_ref
        self.context.runner.run(
            lambda: get_dataset(project, ref), on_done=loaded, on_error=self._failed
        )

    def set_instructions(self, instructions: Any) -> None:
        """Replace the instruction rows (each one becomes a grid column)."""
        self.instructions.blockSignals(True)
        self.instructions.clear()
        for text in instructions:
            self._instruction_item(text)
        self.instructions.blockSignals(False)
        self._grid_changed()

    def _instruction_item(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.instructions.addItem(item)
        return item

    def instruction_texts(self) -> list[str]:
        """The instruction rows as written (empty ones left out)."""
        texts = (self.instructions.item(i).text().strip() for i in range(self.instructions.count()))
        return [t for t in texts if t]

    def add_instruction(self) -> None:
        """Add an instruction row and start editing it."""
        item = self._instruction_item("a new instruction")
        self.instructions.setCurrentItem(item)
        self.instructions.editItem(item)
        self._grid_changed()

    def remove_instruction(self) -> None:
        """Remove the selected instruction row (one always stays)."""
        row = self.instructions.currentRow()
        if row < 0 or self.instructions.count() <= 1:
            return
        self.instructions.takeItem(row)
        self._grid_changed()

    def _provider_changed(self) -> None:
        provider = self.provider.current()
        if provider is not None and provider.default_model and not self.model_combo.currentText():
            self.model_combo.addItem(provider.default_model)
            self.model_combo.setCurrentText(provider.default_model)
        self._settings_changed()

    # -- the plan --------------------------------------------------------------------------
    def _invalidate(self) -> None:
        self._generation += 1
        self.estimate = None
        self.run_button.setEnabled(False)
        self.run_button.setText("Generate")

    def _grid_changed(self) -> None:
        """Count, per label or the instructions changed: the grid is split again."""
        self._invalidate()
        self._replan.start()

    def _settings_changed(self) -> None:
        """Model, sampling or provider changed: the grid (and its edits) stays."""
        self._invalidate()
        if self.plan is not None:
            self._apply_settings(self.plan)
            self._reestimate.start()
        else:
            self._replan.start()

    def _apply_settings(self, plan: GenerationPlan) -> None:
        plan.model = self.model_combo.currentText().strip()
        plan.examples_per_call = self.examples_spin.value()
        plan.batch_size = self.batch_spin.value()
        plan.temperature = round(self.temperature_spin.value(), 2)
        plan.seed = self.seed_spin.value()

    def make_plan(self) -> None:
        """Split the count over the grid again (database thread)."""
        project = self.context.project
        model = self.model_combo.currentText().strip()
        if project is None:
            return
        if not model:
            self.problem_label.setText("Name the model that writes the inputs.")
            return
        from studio.core.distil.plan import make_plan

        generation = self._generation
        kwargs: dict[str, Any] = {
            "model": model,
            "count": self.count_spin.value(),
            "per_label": self.per_label.isChecked() and self._can_per_label,
            "examples": self.examples_spin.value(),
            "instructions": self.instruction_texts(),
            "temperature": round(self.temperature_spin.value(), 2),
            "batch_size": self.batch_spin.value(),
            "seed": self.seed_spin.value(),
        }
        ref = self.dataset_ref
        self.context.runner.run(
            lambda: make_plan(project, ref, **kwargs),
            on_done=lambda plan: self._planned(generation, plan),
            on_error=lambda exc: self._problem(generation, exc),
        )

    def _planned(self, generation: int, plan: GenerationPlan) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return
        self.problem_label.clear()
        self.plan = plan
        self._fill_grid()
        self.plan_ready.emit(plan)
        self.refresh_estimate()

    def _fill_grid(self) -> None:
        plan = self.plan
        if plan is None:
            return
        labels, instructions = plan.labels(), plan.instructions()
        self._filling = True
        self.grid.clear()
        self.grid.setRowCount(len(labels))
        self.grid.setColumnCount(len(instructions) + 1)
        self.grid.setHorizontalHeaderLabels([*instructions, "Total"])
        headers = []
        for label in labels:
            has = plan.labels_before.get(label) if label is not None else None
            headers.append((label or ANY_LABEL) + (f" (has {has:,})" if has is not None else ""))
        self.grid.setVerticalHeaderLabels(headers)
        for r, label in enumerate(labels):
            for c, instruction in enumerate(instructions):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.EditRole, plan.count_of(label, instruction))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.grid.setItem(r, c, item)
            total = QTableWidgetItem()
            total.setFlags(Qt.ItemFlag.ItemIsEnabled)
            total.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.grid.setItem(r, len(instructions), total)
        self._filling = False
        self._update_totals()

    def cell_item(self, label: str | None, instruction: str) -> QTableWidgetItem | None:
        """The grid's item of one cell (tests edit it as a user would)."""
        if self.plan is None:
            return None
        labels, instructions = self.plan.labels(), self.plan.instructions()
        if label not in labels or instruction not in instructions:
            return None
        return self.grid.item(labels.index(label), instructions.index(instruction))

    def _cell_edited(self, item: QTableWidgetItem) -> None:
        plan = self.plan
        if self._filling or plan is None:
            return
        instructions = plan.instructions()
        if item.column() >= len(instructions):
            return
        label = plan.labels()[item.row()]
        instruction = instructions[item.column()]
        try:
            value = max(0, int(item.data(Qt.ItemDataRole.EditRole)))
        except (TypeError, ValueError):
            value = 0
        for cell in plan.cells:
            if cell.label == label and cell.instruction == instruction:
                cell.count = value
        if item.data(Qt.ItemDataRole.EditRole) != value:
            self._filling = True
            item.setData(Qt.ItemDataRole.EditRole, value)
            self._filling = False
        self._invalidate()
        self._update_totals()
        self._reestimate.start()

    def _update_totals(self) -> None:
        plan = self.plan
        if plan is None:
            return
        self._filling = True
        instructions = plan.instructions()
        for r, label in enumerate(plan.labels()):
            item = self.grid.item(r, len(instructions))
            if item is not None:
                item.setText(f"{sum(plan.count_of(label, i) for i in instructions):,}")
        self._filling = False
        self.totals_label.setText(
            f"{plan.total:,} new input(s) in {plan.n_calls:,} call(s); estimating the cost…"
        )

    def refresh_estimate(self) -> None:
        """Estimate calls, tokens and cost of the grid as it is (database thread)."""
        project = self.context.project
        provider = self.provider.current()
        if project is None or self.plan is None:
            return
        if provider is None:
            self.problem_label.setText("Add a provider first: Add… next to Provider.")
            return
        self._apply_settings(self.plan)
        plan = copy.deepcopy(self.plan)  # the worker reads its own copy
        generation = self._generation
        from studio.core.distil.inputs import estimate_plan

        self.context.runner.run(
            lambda: estimate_plan(project, plan, provider),
            on_done=lambda est: self._estimated(generation, est),
            on_error=lambda exc: self._problem(generation, exc),
        )

    def _estimated(self, generation: int, estimate: PlanEstimate) -> None:
        if not shiboken6.isValid(self) or generation != self._generation or self.plan is None:
            return
        self.problem_label.clear()
        self.estimate = estimate
        plan = self.plan
        cached = f", {estimate.n_cached:,} from the cache" if estimate.n_cached else ""
        self.totals_label.setText(
            f"{plan.total:,} new input(s) in {estimate.n_calls:,} call(s){cached}; "
            f"{estimate.input_tokens:,} tokens in, ~{estimate.output_tokens_estimated:,} out; "
            f"cost ≈ {usd(estimate.cost_usd)}. {estimate.price_note}".strip()
        )
        new_calls = estimate.n_calls - estimate.n_cached
        self.run_button.setText(f"Generate: {new_calls:,} call(s), ≈ {usd(estimate.cost_usd)}")
        self.run_button.setEnabled(not self.running)
        self.estimate_shown.emit(estimate)

    def _problem(self, generation: int, exc: BaseException) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return
        if isinstance(exc, UserError):
            self.problem_label.setText(exc.message)
        else:
            self._failed(exc)

    # -- the run ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while the plan runs."""
        return self._handle is not None and not self._handle.done

    def run(self) -> None:
        """Run the grid as shown (its estimate is on the button: pressing it confirms)."""
        project = self.context.project
        provider = self.provider.current()
        if project is None or provider is None or self.plan is None or self.running:
            return
        if self.estimate is None:
            return
        try:
            key = key_for(provider)
        except UserError as exc:
            self.context.show_error(exc)
            return
        from studio.ui.providers.insecure import confirm_insecure_key

        if not confirm_insecure_key(self, provider.base_url, key):
            return
        from studio.core.distil.inputs import run_plan

        self._apply_settings(self.plan)
        plan = copy.deepcopy(self.plan)
        token = CancelToken()
        self._set_running(True)
        self.outcome_label.setText(f"Asking {provider.base_url}…")

        def work(report: Any) -> InputsOutcome:
            return run_plan(
                project, plan, provider=provider, key=key, progress=report, cancel=token
            )

        self._handle = self.context.runner.run(
            work,
            on_done=self._run_done,
            on_error=self._run_failed,
            on_cancel=lambda: self._run_done(None),
            on_progress=self._progress,
            token=token,
            db=False,
        )

    def _set_running(self, running: bool) -> None:
        for w in (
            self.provider, self.model_combo, self.count_spin, self.per_label, self.examples_spin,
            self.batch_spin, self.temperature_spin, self.seed_spin, self.instructions,
            self.add_instruction_button, self.remove_instruction_button, self.grid,
        ):  # fmt: skip
            w.setEnabled(not running)
        self.per_label.setEnabled(not running and self._can_per_label)
        self.run_button.setEnabled(not running and self.estimate is not None)
        self.progress_bar.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress_bar.setRange(0, 0)

    def _progress(self, p: Progress) -> None:
        if not shiboken6.isValid(self):
            return
        if p.total > 0:
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
        if p.message:
            self.outcome_label.setText(p.message)

    def cancel_run(self) -> None:
        """Stop the run within a second; nothing is added."""
        if self._handle is not None:
            self._handle.cancel()
            self.cancel_button.setEnabled(False)
            self.outcome_label.setText("Cancelling…")

    def _run_done(self, outcome: InputsOutcome | None) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_running(False)
        if outcome is None:
            self.outcome_label.setText("Cancelled: nothing was added.")
            return
        self.outcome = outcome
        self.outcome_label.setText(outcome_text(outcome))
        if outcome.added:
            self.context.data_changed.emit("datasets")
            self.context.show_status(
                f"Added {outcome.added:,} synthetic input(s) to {self.dataset_name}."
            )
        self.run_finished.emit(outcome)
        self._settings_changed()  # the cache now answers these calls: estimate again

    def _run_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_running(False)
        self.outcome_label.setText("The run stopped: nothing was added.")
        self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            self.context.show_error(exc)

    def reject(self) -> None:
        """Close; a run still going is cancelled (it adds nothing)."""
        self.cancel_run()
        super().reject()
