"""“Generate teacher outputs…”: what to ask the teacher, the plan before any call, confirm.

The form builds an :class:`~studio.core.distil.outputs.OutputsSpec`; shortly after every
change the plan (:func:`~studio.core.distil.outputs.plan_outputs`: rows, skipped rows by
reason, calls, cached calls, cost) is computed on the database thread and shown. The
button that starts the calls names the number of calls and the cost, so pressing it is
the confirmation (ISSUE 13 §1). The dialog only decides *what*; the view runs it (key,
insecure-key question, progress, Cancel, resume), as the Evaluate view does for A/B runs.

An optional judge prompt version (:mod:`studio.core.distil.judging`) scores the new
candidates after the teacher's calls, on the same provider with the judge version's own
model; its calls (one per row) and cost are part of the plan and of the button's count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import shiboken6
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.distil.judging import JudgePlan
from studio.core.distil.outputs import OutputsPlan, OutputsSpec
from studio.core.errors import UserError
from studio.ui.context import AppContext
from studio.ui.distil.provider_picker import ProviderPicker
from studio.ui.evaluate.limits_row import RunLimitsRow
from studio.ui.evaluate.text import usd
from studio.ui.providers.model_combo import offer_models, reset_model_choices
from studio.ui.widgets.labels import wrapped_label

OWN_MODEL = "(the version's own model)"
NO_JUDGE = "(no judge)"
ANY_SPLIT = "any split"
SKIP_REASONS = {
    "rejected_row": "the row rejected",
    "approved_human": "an approved human ideal output (never overwritten)",
    "approved_teacher": "an accepted teacher output",
    "test_split": "the row in the test split",
    "has_pending_candidate": "a candidate already waiting for review",
    "rejected_candidate": "a candidate already rejected",
}


@dataclass(frozen=True)
class PromptChoices:
    """Prompts the form offers (database thread): name -> versions (newest first), labels."""

    versions: dict[str, list[int]] = field(default_factory=dict)
    labels: dict[str, dict[str, int]] = field(default_factory=dict)


def load_prompt_choices(project: Any) -> PromptChoices:
    """Every prompt's versions and labels (database thread)."""
    from studio.core.prompts import service as prompts

    versions: dict[str, list[int]] = {}
    labels: dict[str, dict[str, int]] = {}
    for p in prompts.list_prompts(project):
        versions[p.name] = [v.version for v in prompts.log(project, p.name)]
        labels[p.name] = dict(p.labels)
    return PromptChoices(versions, labels)


def plan_sentence(plan: OutputsPlan) -> str:
    """What the plan box says: rows, skipped rows by reason, calls, cache, cost."""
    parts = [f"{plan.rows:,} row(s) will get a teacher answer."]
    if plan.audit_rows:
        parts.append(
            f"Audit: {plan.audit_rows:,} row(s) with a human ideal answered too, to measure "
            "the teacher (never accepted); their calls are counted below."
        )
    if plan.audit_note:
        parts.append(plan.audit_note)
    skipped = {k: v for k, v in plan.skipped.items() if v}
    if skipped:
        why = "; ".join(
            f"{n:,} with {SKIP_REASONS.get(k, k.replace('_', ' '))}" for k, n in skipped.items()
        )
        parts.append(f"Skipped: {why}.")
    parts.append(
        f"{plan.n_calls:,} call(s), {plan.n_cached:,} of them from the cache (free); "
        f"cost ≈ {usd(plan.cost_usd)}."
    )
    if plan.price_note:
        parts.append(plan.price_note)
    return " ".join(parts)


class OutputsDialog(QDialog):
    """Choose prompt version, model, samples, temperature, provider and rows; see the plan.

    After ``accepted``, :attr:`spec` and :attr:`plan` hold what to run.

    Signals:
        plan_shown(object): an :class:`OutputsPlan` is on screen (tests wait for it).
    """

    plan_shown = Signal(object)

    def __init__(
        self,
        context: AppContext,
        dataset_id: int,
        dataset_name: str,
        selected_ids: Sequence[int] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("distilOutputsDialog")
        self.setWindowTitle(f"Generate Teacher Outputs — {dataset_name}")
        self.context = context
        self.dataset_id = dataset_id
        self.selected_ids = list(selected_ids)
        self.choices = PromptChoices()
        self.spec: OutputsSpec | None = None
        self.plan: OutputsPlan | None = None
        self.judge_ref: str | None = None  # the judge of the plan on screen
        self.judge_plan: JudgePlan | None = None
        self._generation = 0
        self._planning = False
        self._plan_again = False

        # -- the teacher ---------------------------------------------------------------
        self.prompt_combo = QComboBox()
        self.prompt_combo.setObjectName("distil_prompt_combo")
        self.prompt_combo.setMinimumContentsLength(18)
        self.version_combo = QComboBox()
        self.version_combo.setObjectName("distil_version_combo")
        self.version_combo.setMinimumContentsLength(8)
        self.version_combo.setToolTip("A version number, or a label that points at one")
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("distil_model_combo")
        self.model_combo.setEditable(True)
        self.model_combo.setMinimumContentsLength(18)
        self.samples_spin = QSpinBox()
        self.samples_spin.setObjectName("distil_samples_spin")
        self.samples_spin.setRange(1, 20)
        self.samples_spin.setToolTip(
            "Answers drawn per row: with more than one, the majority answer is stored with "
            "its agreement (the share of samples equal to it)"
        )
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setObjectName("distil_temperature_spin")
        self.temperature_spin.setRange(-0.1, 2.0)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setDecimals(1)
        self.temperature_spin.setSpecialValueText("the version's")
        self.temperature_spin.setValue(-0.1)
        self.temperature_spin.setToolTip("More than one sample needs a temperature above 0")
        self.provider = ProviderPicker(context)
        self.concurrency = QSpinBox()
        self.concurrency.setObjectName("distil_concurrency_spin")
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(8)
        self.concurrency.setToolTip("Requests in flight at once (halved automatically on 429)")
        self.limits_row = RunLimitsRow()
        self.judge_combo = QComboBox()
        self.judge_combo.setObjectName("distil_judge_combo")
        self.judge_combo.setMinimumContentsLength(18)
        self.judge_combo.addItem(NO_JUDGE, None)
        self.judge_combo.setToolTip(
            "Optional: a judge prompt version using {{input}}, {{output}} and {{ideal}} that "
            "answers a score (Score: 7/10, [[8]], 0.8, pass/fail); each new candidate gets "
            "its score (0-1) after the teacher's calls"
        )

        # -- which rows ------------------------------------------------------------------
        self.all_radio = QRadioButton("All rows")
        self.all_radio.setObjectName("distil_rows_all")
        self.selected_radio = QRadioButton(f"The {len(self.selected_ids):,} selected row(s)")
        self.selected_radio.setObjectName("distil_rows_selected")
        self.selected_radio.setEnabled(bool(self.selected_ids))
        self.filter_radio = QRadioButton("Rows matching:")
        self.filter_radio.setObjectName("distil_rows_filter")
        self.rows_group = QButtonGroup(self)
        for b in (self.all_radio, self.selected_radio, self.filter_radio):
            self.rows_group.addButton(b)
        self.all_radio.setChecked(True)
        self.split_combo = QComboBox()
        self.split_combo.setObjectName("distil_split_combo")
        for s in (ANY_SPLIT, "train", "validation", "test"):
            self.split_combo.addItem(s)
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("distil_search_edit")
        self.search_edit.setPlaceholderText("text in the input (empty = any)")
        self.include_test = QCheckBox("Include test-split rows (off: the test split stays unseen)")
        self.include_test.setObjectName("distil_include_test")
        self.audit_spin = QSpinBox()
        self.audit_spin.setObjectName("distil_audit_spin")
        self.audit_spin.setRange(0, 100_000)
        self.audit_spin.setValue(0)
        self.audit_spin.setToolTip(
            "The teacher also answers this many rows that already have an approved human "
            "ideal (a random sample, balanced by label), stored as audit answers that are "
            "never accepted: they measure the teacher's accuracy. 50 is a good start."
        )

        # -- plan ----------------------------------------------------------------------------
        self.plan_label = wrapped_label(
            "distil_plan_label", "The plan appears when the form is complete."
        )
        self.problem_label = wrapped_label("distil_problem_label")
        self.problem_label.setStyleSheet("color: #b3261e;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = QPushButton("Call the Teacher")
        self.run_button.setObjectName("distil_run_button")
        self.run_button.setEnabled(False)
        self.run_button.setDefault(True)
        self.buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.rejected.connect(self.reject)
        self.run_button.clicked.connect(self.accept)

        teacher = QGroupBox("Teacher")
        tf = QFormLayout(teacher)
        ref_row = QHBoxLayout()
        ref_row.addWidget(self.prompt_combo, 3)
        ref_row.addWidget(QLabel("@"))
        ref_row.addWidget(self.version_combo, 1)
        tf.addRow("Prompt version:", ref_row)
        tf.addRow("Provider:", self.provider)
        tf.addRow("Model:", self.model_combo)
        sampling = QHBoxLayout()
        sampling.addWidget(self.samples_spin)
        sampling.addSpacing(16)
        sampling.addWidget(QLabel("Temperature:"))
        sampling.addWidget(self.temperature_spin)
        sampling.addSpacing(16)
        sampling.addWidget(QLabel("Concurrency:"))
        sampling.addWidget(self.concurrency)
        sampling.addStretch(1)
        tf.addRow("Samples per row:", sampling)
        tf.addRow("Time limits:", self.limits_row)
        tf.addRow("Judge (optional):", self.judge_combo)
        rows = QGroupBox("Rows")
        rl = QVBoxLayout(rows)
        rl.addWidget(self.all_radio)
        rl.addWidget(self.selected_radio)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.filter_radio)
        filter_row.addWidget(self.split_combo)
        filter_row.addWidget(self.search_edit, 1)
        rl.addLayout(filter_row)
        rl.addWidget(self.include_test)
        audit_row = QHBoxLayout()
        audit_row.addWidget(QLabel("Also answer"))
        audit_row.addWidget(self.audit_spin)
        audit_row.addWidget(QLabel("rows that have a human ideal, to measure the teacher"), 1)
        rl.addLayout(audit_row)
        rl.addWidget(
            wrapped_label(
                "distil_rows_note",
                "Rows with an approved human ideal output are never overwritten.",
            )
        )
        plan = QGroupBox("Plan (before any call)")
        pl = QVBoxLayout(plan)
        pl.addWidget(self.plan_label)
        layout = QVBoxLayout(self)
        layout.addWidget(teacher)
        layout.addWidget(rows)
        layout.addWidget(plan)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(640)
        # Room for a plan of four lines without squeezing the form (the plan arrives
        # after the dialog is shown); the window still fits a 1280 x 800 screen
        self.plan_label.setMinimumHeight(self.plan_label.fontMetrics().lineSpacing() * 4)
        self.resize(700, self.sizeHint().height())

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self.refresh_plan)
        self.prompt_combo.currentTextChanged.connect(self._prompt_changed)
        self.version_combo.currentIndexChanged.connect(lambda _i: self._changed())
        self.model_combo.currentTextChanged.connect(lambda _t: self._changed())
        self.samples_spin.valueChanged.connect(lambda _v: self._changed())
        self.audit_spin.valueChanged.connect(lambda _v: self._changed())
        self.temperature_spin.valueChanged.connect(lambda _v: self._changed())
        self.concurrency.valueChanged.connect(lambda _v: self._changed())
        self.provider.changed.connect(self._provider_changed)
        self.provider.models_loaded.connect(self._offer_models)
        self.rows_group.buttonToggled.connect(lambda *_a: self._changed())
        self.split_combo.currentIndexChanged.connect(lambda _i: self._filter_touched())
        self.search_edit.textChanged.connect(lambda _t: self._filter_touched())
        self.include_test.toggled.connect(lambda _c: self._changed())
        self.judge_combo.currentIndexChanged.connect(lambda _i: self._changed())
        self._provider_changed()
        self._load_choices()

    # -- choices ---------------------------------------------------------------------------
    def _load_choices(self) -> None:
        project = self.context.project
        if project is None:
            return

        def loaded(choices: PromptChoices) -> None:
            if shiboken6.isValid(self) and project is self.context.project:
                self.set_choices(choices)

        self.context.runner.run(
            lambda: load_prompt_choices(project), on_done=loaded, on_error=self._failed
        )

    def set_choices(self, choices: PromptChoices) -> None:
        """Fill the prompt picker; the prompt with the most versions is preselected."""
        self.choices = choices
        self.prompt_combo.blockSignals(True)
        self.prompt_combo.clear()
        self.prompt_combo.addItems(sorted(choices.versions))
        if choices.versions:
            best = max(sorted(choices.versions), key=lambda n: len(choices.versions[n]))
            self.prompt_combo.setCurrentText(best)
        self.prompt_combo.blockSignals(False)
        self._prompt_changed(self.prompt_combo.currentText())
        self.judge_combo.blockSignals(True)
        self.judge_combo.clear()
        self.judge_combo.addItem(NO_JUDGE, None)
        for name in sorted(choices.versions):
            for v in choices.versions[name]:
                self.judge_combo.addItem(f"{name}@{v}", f"{name}@{v}")
        self.judge_combo.blockSignals(False)

    def set_judge(self, ref: str | None) -> None:
        """Choose the judge prompt version ``NAME@VERSION`` (None: no judge)."""
        index = self.judge_combo.findData(ref)
        if index < 0:
            raise ValueError(f"{ref} is not in the project")
        self.judge_combo.setCurrentIndex(index)

    def _prompt_changed(self, name: str) -> None:
        self.version_combo.blockSignals(True)
        self.version_combo.clear()
        for v in self.choices.versions.get(name, []):
            self.version_combo.addItem(str(v), str(v))
        for label, v in sorted(self.choices.labels.get(name, {}).items()):
            self.version_combo.addItem(f"{label} (→ {v})", label)
        self.version_combo.blockSignals(False)
        self._changed()

    def set_ref(self, name: str, version: int | str) -> None:
        """Choose ``name@version`` (a number or a label)."""
        self.prompt_combo.setCurrentText(name)
        index = self.version_combo.findData(str(version))
        if index < 0:
            raise ValueError(f"{name}@{version} is not in the project")
        self.version_combo.setCurrentIndex(index)

    def prompt_ref(self) -> str | None:
        """``NAME@VERSION`` or ``NAME@label``; None when incomplete."""
        name = self.prompt_combo.currentText()
        version = self.version_combo.currentData()
        return f"{name}@{version}" if name and version else None

    def _provider_changed(self) -> None:
        provider = self.provider.current()
        reset_model_choices(self.model_combo, provider, OWN_MODEL)
        self._changed()

    def _offer_models(self, models: list[str]) -> None:
        offer_models(self.model_combo, models)

    def _filter_touched(self) -> None:
        if not self.filter_radio.isChecked():
            self.filter_radio.setChecked(True)  # toggling it re-plans
        else:
            self._changed()

    # -- spec ------------------------------------------------------------------------------
    def build_spec(self, example_ids: list[int] | None = None) -> OutputsSpec:
        """The spec the form describes (``example_ids``: the rows already resolved).

        Raises:
            UserError: something is missing or inconsistent (the sentence says what).
        """
        ref = self.prompt_ref()
        if ref is None:
            raise UserError("Choose the teacher's prompt version.", where="prompt")
        provider = self.provider.current()
        if provider is None:
            raise UserError("Add a provider first: Add… next to Provider.", where="provider")
        model = self.model_combo.currentText().strip()
        temperature = self.temperature_spin.value()
        samples = self.samples_spin.value()
        if samples > 1 and temperature == 0:
            raise UserError(
                "More than one sample needs a temperature above 0 (identical answers "
                "would agree by construction).",
                where="temperature",
            )
        return OutputsSpec(
            dataset=self.dataset_id,
            prompt_ref=ref,
            provider=provider,
            model=None if not model or model == OWN_MODEL else model,
            example_ids=example_ids,
            samples=samples,
            temperature=None if temperature < 0 else temperature,
            include_test=self.include_test.isChecked(),
            concurrency=self.concurrency.value(),
            limits=self.limits_row.limits(),
            audit=self.audit_spin.value(),
        )

    def _row_filter(self) -> Any:
        from studio.core.datasets import ExampleFilter

        split = self.split_combo.currentText()
        return ExampleFilter(
            search=self.search_edit.text().strip(),
            splits=() if split == ANY_SPLIT else (split,),
        )

    # -- plan ------------------------------------------------------------------------------
    def _changed(self) -> None:
        self._generation += 1
        self.plan = None
        self.spec = None
        self.run_button.setEnabled(False)
        self.run_button.setText("Call the Teacher")
        self._debounce.start()

    def refresh_plan(self) -> None:
        """Compute the plan for the form as it is (database thread)."""
        project = self.context.project
        if project is None:
            return
        selected = list(self.selected_ids) if self.selected_radio.isChecked() else None
        try:
            base = self.build_spec(selected)  # read the widgets here, on the GUI thread
        except UserError as exc:
            self.problem_label.setText(exc.message)
            self.plan_label.setText("The plan appears when the form is complete.")
            return
        self.problem_label.clear()
        if self._planning:
            self._plan_again = True
            return
        self._planning = True
        generation = self._generation
        flt = self._row_filter() if self.filter_radio.isChecked() else None
        dataset_id = self.dataset_id
        judge_ref = self.judge_combo.currentData()
        self.plan_label.setText("Counting rows, cache hits and tokens…")

        def work() -> tuple[OutputsSpec, OutputsPlan, JudgePlan | None]:
            from studio.core.distil.judging import estimate_judge_rows
            from studio.core.distil.outputs import plan_outputs

            spec = base
            if flt is not None:
                from studio.core.datasets import query_ids

                spec = replace(base, example_ids=query_ids(project, dataset_id, flt))
            plan = plan_outputs(project, spec)
            judged = None
            if judge_ref:
                judged = estimate_judge_rows(
                    project, judge_ref, provider=spec.provider, example_ids=plan.example_ids
                )
            return spec, plan, judged

        self.context.runner.run(
            work,
            on_done=lambda result: self._planned(generation, result),
            on_error=lambda exc: self._plan_failed(generation, exc),
        )

    def _plan_finished(self) -> bool:
        self._planning = False
        if not shiboken6.isValid(self):
            return False
        if self._plan_again:
            self._plan_again = False
            self._debounce.start(0)
            return False
        return True

    def _planned(
        self, generation: int, result: tuple[OutputsSpec, OutputsPlan, JudgePlan | None]
    ) -> None:
        if not self._plan_finished() or generation != self._generation:
            return
        self.show_plan(*result)

    def _plan_failed(self, generation: int, exc: BaseException) -> None:
        if not self._plan_finished() or generation != self._generation:
            return
        if isinstance(exc, UserError):
            self.problem_label.setText(exc.message)
            self.plan_label.setText("")
        else:
            self._failed(exc)

    def show_plan(
        self, spec: OutputsSpec, plan: OutputsPlan, judge: JudgePlan | None = None
    ) -> None:
        """Show ``plan``; the run button names its calls and cost (pressing it confirms).

        ``judge``: the judge's calls (one per row) when a judge prompt is chosen.
        """
        self.spec = spec
        self.plan = plan
        self.judge_plan = judge
        self.judge_ref = self.judge_combo.currentData() if judge is not None else None
        sentence = plan_sentence(plan)
        if judge is not None and plan.rows:
            sentence += (
                f" Then up to {judge.n_calls:,} judge call(s) with {self.judge_ref}, "
                f"≈ {usd(judge.cost_usd)} (the answers are not known yet)."
            )
        self.plan_label.setText(sentence)
        if plan.rows == 0:
            self.run_button.setText("Nothing to Generate")
            self.run_button.setEnabled(False)
        else:
            new_calls = plan.n_calls - plan.n_cached
            cost = plan.cost_usd
            if judge is not None:
                new_calls += judge.n_calls
                cost = None if cost is None or judge.cost_usd is None else cost + judge.cost_usd
            self.run_button.setText(f"Call the Teacher: {new_calls:,} call(s), ≈ {usd(cost)}")
            self.run_button.setEnabled(True)
        if self.height() < self.sizeHint().height():
            self.resize(self.width(), self.sizeHint().height())
        if plan.rows == 0 and plan.audit_rows:  # only the audit sample to ask
            new_calls = plan.n_calls - plan.n_cached
            self.run_button.setText(
                f"Call the Teacher: {new_calls:,} call(s), ≈ {usd(plan.cost_usd)}"
            )
            self.run_button.setEnabled(True)
        self.plan_shown.emit(plan)

    def _failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            self.context.show_error(exc)

    def accept(self) -> None:
        """Close with :attr:`spec` and :attr:`plan` set (only once a plan is shown)."""
        if self.spec is None or self.plan is None or not self.run_button.isEnabled():
            return
        super().accept()
