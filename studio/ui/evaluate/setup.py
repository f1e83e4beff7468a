"""Run setup: dataset and split, two or more prompt versions, provider and model, scorer,
concurrency, cache, and the cost estimate shown before Run.

The lists (datasets, prompts and their versions) and the estimate are computed on the
database thread; the panel only holds plain values. The estimate refreshes itself
shortly after any change (debounced), and Run is enabled once the form is complete.
"""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import UserError
from studio.core.evals.run_setup import CostEstimate, RunSpec, VariantSpec
from studio.core.llm.provider_store import ProviderSettings, load_providers
from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.evaluate.estimate_table import estimate_text, fill_estimate_table
from studio.ui.evaluate.limits_row import RunLimitsRow
from studio.ui.evaluate.scorer_help import scorer_tooltip
from studio.ui.evaluate.variant_row import SetupLists, VariantRow, load_setup_lists
from studio.ui.providers.editing import open_provider_dialog, store_provider
from studio.ui.providers.model_combo import offer_models, reset_model_choices

SPLITS = ("test", "validation", "train", "all")
SCORERS: tuple[tuple[str, str], ...] = (
    ("exact", "Exact match"),
    ("normalised", "Normalised match (case, spaces, punctuation)"),
    ("label", "Label match (classification, confusion table)"),
    ("label-strict", "Label match, strict (the label exactly as written)"),
    ("json", "Valid JSON"),
    ("json-equal", "Same JSON as the ideal (per-field agreement)"),
    ("json-schema", "Valid against the prompt version's response schema"),
    ("json-fields", "JSON field-level match"),
    ("contains", "Contains text"),
    ("regex", "Matches a regular expression"),
    ("judge", "LLM judge (pairwise, both orders)"),
)
#: What the scorer option field means, per scorer (absent = no option).
SCORER_OPTION = {
    "contains": ("text", "text to look for (empty = the ideal answer)"),
    "regex": ("pattern", "regular expression, e.g. ^(yes|no)$"),
    "json-fields": ("fields", "fields to compare, comma-separated (empty = all)"),
    "label": ("field", "JSON field holding the label (empty = label/intent/category)"),
    "json-schema": ("schema_file", "schema file (empty = the prompt version's response_schema)"),
}
OWN_MODEL = "(each version's own model)"


class RunSetupPanel(QWidget):
    """The form that starts a run.

    Signals:
        run_requested(object, bool): a :class:`RunSpec` and whether to use the cache.
        providers_changed(): providers were added or edited (saved to providers.json).
        estimate_shown(object): a :class:`CostEstimate` is on screen.
    """

    run_requested = Signal(object, bool)
    providers_changed = Signal()
    estimate_shown = Signal(object)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.lists = SetupLists([], {})
        self.providers: ProviderSettings = load_providers()
        self.variant_rows: list[VariantRow] = []
        self.estimate: CostEstimate | None = None
        self._estimating = False
        self._estimate_again = False
        self._generation = 0

        self.dataset_combo = QComboBox()
        self.dataset_combo.setObjectName("dataset_combo")
        self.dataset_combo.setMinimumContentsLength(20)
        self.split_combo = QComboBox()
        self.split_combo.setObjectName("split_combo")
        self.split_combo.setMinimumContentsLength(16)
        self.split_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.variants_box = QVBoxLayout()
        self.add_variant_button = QPushButton("Add Variant")
        self.add_variant_button.setObjectName("add_variant_button")
        self.add_variant_button.clicked.connect(lambda: self.add_variant())
        self.provider_combo = QComboBox()
        self.provider_combo.setPlaceholderText("No provider yet: Add… a local server or OpenAI")
        self.provider_combo.setObjectName("provider_combo")
        self.provider_combo.setMinimumContentsLength(16)
        self.add_provider_button = QPushButton("Add…")
        self.add_provider_button.setObjectName("add_provider_button")
        self.add_provider_button.clicked.connect(lambda: self.open_provider_dialog(edit=False))
        self.edit_provider_button = QPushButton("Edit…")
        self.edit_provider_button.setObjectName("edit_provider_button")
        self.edit_provider_button.clicked.connect(lambda: self.open_provider_dialog(edit=True))
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("run_model_combo")
        self.model_combo.setEditable(True)
        self.model_combo.setMinimumContentsLength(18)
        self.scorer_combo = QComboBox()
        self.scorer_combo.setObjectName("scorer_combo")
        for name, title in SCORERS:
            self.scorer_combo.addItem(title, name)
            self.scorer_combo.setItemData(
                self.scorer_combo.count() - 1, scorer_tooltip(name), Qt.ItemDataRole.ToolTipRole
            )
        self.scorer_option = QLineEdit()
        self.scorer_option.setObjectName("scorer_option")
        self.judge_combo = QComboBox()
        self.judge_combo.setObjectName("judge_prompt_combo")
        self.judge_combo.setToolTip("The judge prompt is itself a versioned prompt")
        self.judge_label = QLabel("Judge prompt:")
        self.concurrency = QSpinBox()
        self.concurrency.setObjectName("concurrency_spin")
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(8)
        self.concurrency.setToolTip("Requests in flight at once (halved automatically on 429)")
        self.cache_check = QCheckBox("Use the response cache (identical requests are free)")
        self.cache_check.setObjectName("cache_check")
        self.cache_check.setChecked(True)
        self.limits_row = RunLimitsRow()  # request timeout and run deadline (ISSUE-10 §3)

        self.estimate_table = QTableWidget(0, 6)
        self.estimate_table.setObjectName("estimate_table")
        self.estimate_table.setHorizontalHeaderLabels(
            [
                "Variant",
                "Model",
                "Calls",
                "From cache",
                "Input tokens (exact)",
                "Output tokens (est.)",
            ]
        )
        self.estimate_table.setColumnCount(7)
        self.estimate_table.setHorizontalHeaderItem(6, QTableWidgetItem("Cost"))
        self.estimate_table.verticalHeader().setVisible(False)
        self.estimate_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.estimate_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.estimate_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.estimate_table.horizontalHeader().setStretchLastSection(True)
        self.estimate_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.estimate_label = QLabel("The estimate appears when the form is complete.")
        self.estimate_label.setObjectName("estimate_label")
        self.estimate_label.setWordWrap(True)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("setup_problem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b3261e;")
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("run_button")
        self.run_button.setDefault(True)
        self.run_button.setEnabled(False)
        self.run_button.clicked.connect(self.request_run)

        what = QGroupBox("What to compare")
        what_form = QFormLayout(what)
        ds_row = QHBoxLayout()
        ds_row.addWidget(self.dataset_combo, 1)
        ds_row.addWidget(QLabel("Split:"))
        ds_row.addWidget(self.split_combo)
        what_form.addRow("Dataset:", ds_row)
        variants_widget = QWidget()
        variants_widget.setLayout(self.variants_box)
        self.variants_box.setContentsMargins(0, 0, 0, 0)
        what_form.addRow("Versions:", variants_widget)
        what_form.addRow("", self.add_variant_button)
        how = QGroupBox("How to call and score")
        how_form = QFormLayout(how)
        prov_row = QHBoxLayout()
        prov_row.addWidget(self.provider_combo, 1)
        prov_row.addWidget(self.add_provider_button)
        prov_row.addWidget(self.edit_provider_button)
        how_form.addRow("Provider:", prov_row)
        how_form.addRow("Model:", self.model_combo)
        how_form.addRow("Scorer:", self.scorer_combo)
        self.option_label = QLabel("Option:")
        how_form.addRow(self.option_label, self.scorer_option)
        how_form.addRow(self.judge_label, self.judge_combo)
        how_form.addRow("Concurrency:", self.concurrency)
        how_form.addRow("Time limits:", self.limits_row)
        how_form.addRow("", self.cache_check)
        cost = QGroupBox("Cost estimate (before Run)")
        cost_layout = QVBoxLayout(cost)
        cost_layout.addWidget(self.estimate_table)
        cost_layout.addWidget(self.estimate_label)
        run_row = QHBoxLayout()
        run_row.addWidget(self.problem_label, 1)
        run_row.addWidget(self.run_button)

        body = QWidget()
        body.setMaximumWidth(1040)  # a form stretched across a wide window is hard to read
        layout = QVBoxLayout(body)
        layout.addWidget(what)
        layout.addWidget(how)
        layout.addWidget(cost)
        layout.addLayout(run_row)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(500)
        self._debounce.timeout.connect(self.refresh_estimate)
        self.dataset_combo.currentIndexChanged.connect(self._dataset_changed)
        self.split_combo.currentIndexChanged.connect(lambda _: self._changed())
        self.provider_combo.currentIndexChanged.connect(self._provider_changed)
        self.model_combo.currentTextChanged.connect(lambda _: self._changed())
        self.scorer_combo.currentIndexChanged.connect(self._scorer_changed)
        self.scorer_option.textChanged.connect(lambda _: self._changed())
        self.judge_combo.currentIndexChanged.connect(lambda _: self._changed())
        self._fill_providers()
        self._scorer_changed()

    # -- lists -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Reload datasets and prompts from the project (database thread)."""
        project = self.context.project
        if project is None:
            self.set_lists(SetupLists([], {}))
            return
        self.context.runner.run(
            lambda: load_setup_lists(project),
            on_done=lambda lists: self._lists_loaded(project, lists),
            on_error=self.context.show_error,
        )

    def _lists_loaded(self, project: Any, lists: SetupLists) -> None:
        if shiboken6.isValid(self) and project is self.context.project:
            self.set_lists(lists)

    def set_lists(self, lists: SetupLists) -> None:
        """Fill the form's choices, keeping what is selected where possible."""
        self.lists = lists
        current = self.dataset_combo.currentData()
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        for d in lists.datasets:
            self.dataset_combo.addItem(d.name, d.id)
        index = self.dataset_combo.findData(current)
        self.dataset_combo.setCurrentIndex(index if index >= 0 else 0)
        self.dataset_combo.blockSignals(False)
        refs = [
            (r.prompt_combo.currentText(), r.version_combo.currentData(), r.model_edit.text())
            for r in self.variant_rows
        ]
        for row in list(self.variant_rows):
            self._drop_row(row)
        self.judge_combo.clear()
        for name in sorted(lists.prompts):
            for v in lists.prompts[name]:
                self.judge_combo.addItem(f"{name}@{v}")
        if lists.prompts:
            if refs and all(n in lists.prompts for n, _, _ in refs):
                for name, version, model in refs:
                    row = self.add_variant()
                    if version in lists.prompts[name]:
                        row.set_ref(name, version, model)
            else:
                self._default_variants()
        self._dataset_changed()

    def _default_variants(self) -> None:
        # The prompt with the most versions, its two newest: the usual "is v(n) better?"
        name = max(sorted(self.lists.prompts), key=lambda n: len(self.lists.prompts[n]))
        versions = self.lists.prompts[name]
        a = self.add_variant()
        b = self.add_variant()
        if len(versions) >= 2:
            a.set_ref(name, versions[1])
            b.set_ref(name, versions[0])
        elif versions:
            a.set_ref(name, versions[0])
            b.set_ref(name, versions[0])

    def add_variant(self) -> VariantRow:
        """Append a variant row."""
        row = VariantRow(chr(ord("A") + len(self.variant_rows) % 26), self.lists.prompts)
        row.changed.connect(self._changed)
        row.remove_requested.connect(self._remove_row)
        self.variant_rows.append(row)
        self.variants_box.addWidget(row)
        self._relabel()
        self._changed()
        return row

    def _drop_row(self, row: VariantRow) -> None:
        self.variant_rows.remove(row)
        self.variants_box.removeWidget(row)
        row.setParent(None)
        row.deleteLater()

    def _remove_row(self, row: object) -> None:
        if isinstance(row, VariantRow) and row in self.variant_rows:
            self._drop_row(row)
            self._relabel()
            self._changed()

    def _relabel(self) -> None:
        for i, row in enumerate(self.variant_rows):
            row.letter.setText(chr(ord("A") + i % 26))
            row.remove_button.setEnabled(len(self.variant_rows) > 2)

    def set_variants(self, refs: list[tuple[str, int, str]]) -> None:
        """Choose the variants: ``[(prompt, version, model override), ...]``."""
        for row in list(self.variant_rows):
            self._drop_row(row)
        for name, version, model in refs:
            self.add_variant().set_ref(name, version, model)
        self._relabel()
        self._changed()

    def _dataset_changed(self, *_: Any) -> None:
        summary = next(
            (d for d in self.lists.datasets if d.id == self.dataset_combo.currentData()), None
        )
        current = self.split_combo.currentData() or "test"
        self.split_combo.blockSignals(True)
        self.split_combo.clear()
        for split in SPLITS:
            count = (
                (summary.examples if split == "all" else summary.by_split.get(split, 0))
                if summary
                else 0
            )
            self.split_combo.addItem(f"{split} ({count})", split)
        self.split_combo.setCurrentIndex(max(0, self.split_combo.findData(current)))
        self.split_combo.blockSignals(False)
        if summary is not None:
            wanted = "label" if summary.task_type == "classification" else "exact"
            self.scorer_combo.setCurrentIndex(self.scorer_combo.findData(wanted))
        self._changed()

    # -- providers -------------------------------------------------------------------------
    def _fill_providers(self, select: str | None = None) -> None:
        chosen = select or self.provider_combo.currentText() or self.providers.default
        self.provider_combo.blockSignals(True)
        self.provider_combo.clear()
        for p in self.providers.providers:
            self.provider_combo.addItem(p.name, p)
        index = self.provider_combo.findText(chosen) if chosen else -1
        self.provider_combo.setCurrentIndex(index if index >= 0 else 0)
        self.provider_combo.blockSignals(False)
        self.edit_provider_button.setEnabled(bool(self.providers.providers))
        self._provider_changed()

    def current_provider(self) -> ProviderConfig | None:
        """The chosen provider."""
        data = self.provider_combo.currentData()
        return data if isinstance(data, ProviderConfig) else None

    def _provider_changed(self, *_: Any) -> None:
        provider = self.current_provider()
        reset_model_choices(self.model_combo, provider, OWN_MODEL)
        self._changed()

    def set_models(self, models: list[str]) -> None:
        """Offer ``models`` (fetched from the provider) in the model combo."""
        offer_models(self.model_combo, models)

    def open_provider_dialog(self, edit: bool = False) -> Any:
        """Open the provider dialog (non-blocking); returns it (tests drive it)."""
        config = self.current_provider() if edit else None
        return open_provider_dialog(
            self, self.context, self.providers, config, self.set_models, self.save_provider
        )

    def save_provider(self, config: ProviderConfig, replaces: str | None = None) -> None:
        """Add or replace a provider, save providers.json (no key) and select it."""
        self.providers = store_provider(self.context, config, replaces)
        self._fill_providers(select=config.name)
        self.providers_changed.emit()

    # -- scorer ----------------------------------------------------------------------------
    def scorer(self) -> str:
        """The chosen scorer name."""
        return str(self.scorer_combo.currentData())

    def _scorer_changed(self, *_: Any) -> None:
        name = self.scorer()
        self.scorer_combo.setToolTip(scorer_tooltip(name))
        option = SCORER_OPTION.get(name)
        self.option_label.setVisible(option is not None)
        self.scorer_option.setVisible(option is not None)
        if option is not None:
            self.scorer_option.setPlaceholderText(option[1])
        judge = name == "judge"
        self.judge_label.setVisible(judge)
        self.judge_combo.setVisible(judge)
        self._changed()

    def scorer_config(self) -> dict[str, Any]:
        """The scorer's settings from the option field / judge picker."""
        name = self.scorer()
        value = self.scorer_option.text().strip()
        if name == "judge":
            return {"judge_prompt": self.judge_combo.currentText()}
        option = SCORER_OPTION.get(name)
        if option is None or not value:
            return {}
        if option[0] == "fields":
            return {"fields": [f.strip() for f in value.split(",") if f.strip()]}
        return {option[0]: value}

    # -- spec ------------------------------------------------------------------------------
    def build_spec(self) -> RunSpec:
        """The run the form describes.

        Raises:
            UserError: something is missing (the sentence says what).
        """
        dataset = self.dataset_combo.currentData()
        if dataset is None:
            raise UserError("Choose a dataset (import one in Datasets first).", where="dataset")
        provider = self.current_provider()
        if provider is None:
            raise UserError("Add a provider first: Add… next to Provider.", where="provider")
        if len(self.variant_rows) < 2:
            raise UserError("Choose at least two prompt versions.", where="variants")
        run_model = self.model_combo.currentText().strip()
        if run_model == OWN_MODEL:
            run_model = ""
        variants = []
        for row in self.variant_rows:
            ref = row.ref()
            if ref is None:
                raise UserError("Every variant needs a prompt and a version.", where="variants")
            variants.append(VariantSpec(ref, row.model_edit.text().strip() or run_model or None))
        if self.scorer() == "judge" and not self.judge_combo.currentText():
            raise UserError("Choose the judge prompt version.", where="scorer")
        return RunSpec(
            dataset=int(dataset),
            variants=variants,
            provider=provider,
            split=str(self.split_combo.currentData() or "test"),
            scorer=self.scorer(),
            scorer_config=self.scorer_config(),
            concurrency=self.concurrency.value(),
            limits=self.limits_row.limits(),
        )

    # -- estimate --------------------------------------------------------------------------
    def _changed(self) -> None:
        self._generation += 1
        self.run_button.setEnabled(False)
        self.estimate = None
        self._debounce.start()

    def refresh_estimate(self) -> None:
        """Compute the cost estimate for the current form (database thread)."""
        project = self.context.project
        if project is None:
            return
        try:
            spec = self.build_spec()
        except UserError as exc:
            self.problem_label.setText(exc.message)
            self.estimate_table.setRowCount(0)
            self.estimate_label.setText("The estimate appears when the form is complete.")
            return
        self.problem_label.clear()
        if self._estimating:
            self._estimate_again = True
            return
        self._estimating = True
        generation = self._generation
        self.estimate_label.setText("Counting tokens…")
        from studio.core.evals.run_setup import estimate_run

        self.context.runner.run(
            lambda: estimate_run(project, spec),
            on_done=lambda est: self._estimated(generation, est),
            on_error=lambda exc: self._estimate_failed(generation, exc),
        )

    def _estimate_finished(self) -> bool:
        self._estimating = False
        if not shiboken6.isValid(self):
            return False
        if self._estimate_again:
            self._estimate_again = False
            self._debounce.start(0)
            return False
        return True

    def _estimated(self, generation: int, estimate: CostEstimate) -> None:
        if not self._estimate_finished() or generation != self._generation:
            return
        self.show_estimate(estimate)

    def _estimate_failed(self, generation: int, exc: BaseException) -> None:
        if not self._estimate_finished() or generation != self._generation:
            return
        if isinstance(exc, UserError):
            self.problem_label.setText(exc.message)
            self.estimate_label.setText("")
        else:
            self.context.show_error(exc)

    def show_estimate(self, estimate: CostEstimate) -> None:
        """Fill the estimate table and enable Run."""
        self.estimate = estimate
        fill_estimate_table(self.estimate_table, estimate)
        self.estimate_label.setText(estimate_text(estimate))
        self.run_button.setEnabled(True)
        self.estimate_shown.emit(estimate)

    # Like ProviderDialog.accept (providers/dialog.py): build from the form, show a
    # UserError under it; the built thing and where it goes differ, so no helper.
    def request_run(self) -> None:
        """Emit :attr:`run_requested` for the current form."""
        try:
            spec = self.build_spec()
        except UserError as exc:
            self.problem_label.setText(exc.message)
            return
        self.run_requested.emit(spec, self.cache_check.isChecked())

    def set_running(self, running: bool) -> None:
        """Disable Run while a run is going."""
        self.run_button.setEnabled(not running and self.estimate is not None)
        self.run_button.setText("Running…" if running else "Run")
