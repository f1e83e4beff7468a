"""Choose dataset, prompt version and target (and, to export, an output folder).

Under the target, the places to train a model from it (:mod:`studio.core.decide.routes`):
formats, limits, prices and horizons from ``resources/platforms.json``. Exporting offers
the ``local-lora`` target too: TRL data plus a run-ready ``trl sft`` config for a base
model (:mod:`studio.core.export.local_lora`).

The output template maps each labelled example's label into the prompt version's
``response_schema`` (``{"intent": "{{label}}"}``); the export checks it against the
schema before writing (:mod:`studio.core.export.fit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import UserError
from studio.core.export import OutputTemplate, export_kinds
from studio.core.export.fit import suggested_template
from studio.core.export.local_lora import DEFAULT_BASE_MODEL, RECIPE_TARGETS, RECIPE_TITLES
from studio.core.formats import FORMATS

if TYPE_CHECKING:
    from studio.core.db.project import Project


@dataclass(frozen=True)
class ExportChoice:
    """What the dialog chose."""

    dataset_id: int
    dataset_name: str
    prompt_ref: str
    target: str
    out_dir: Path | None
    validation_fraction: float | None
    output_template: str | None = None
    base_model: str | None = None  # recipe targets (local-lora): the base to train


class DatasetExportDialog(QDialog):
    """Dataset + prompt version + target; ``export=True`` adds folder and validation share."""

    def __init__(self, project: Project, *, export: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.export = export
        self.setWindowTitle("Export dataset" if export else "Validate a dataset's export")
        self.setObjectName("validate_dataset_dialog")
        form = QFormLayout()
        self.dataset_combo = QComboBox()
        self.prompt_combo = QComboBox()
        self.version_combo = QComboBox()
        self.target_combo = QComboBox()
        for name, spec in FORMATS.items():
            kinds = export_kinds(name)
            suffix = "" if kinds == ("chat",) or "chat" in kinds else " (preference pairs)"
            self.target_combo.addItem(f"{name} - {spec.title}{suffix}", name)
        if export:  # a run-ready folder is written, not validated on its own
            for name in RECIPE_TARGETS:
                self.target_combo.addItem(f"{name} - {RECIPE_TITLES[name]}", name)
        form.addRow("Dataset", self.dataset_combo)
        form.addRow("Prompt", self.prompt_combo)
        form.addRow("Version", self.version_combo)
        form.addRow("Target", self.target_combo)
        self.base_model_edit = QLineEdit()
        self.base_model_edit.setObjectName("base_model_edit")
        self.base_model_edit.setPlaceholderText(DEFAULT_BASE_MODEL)
        self.base_model_edit.setToolTip(
            "local-lora: the Hugging Face model to train (model_name_or_path of sft.yaml); "
            "bases of 7B parameters or more are trained in 4 bits (QLoRA)."
        )
        if export:
            form.addRow("Base model", self.base_model_edit)
        self.routes_view = QPlainTextEdit()
        self.routes_view.setObjectName("routes_view")
        self.routes_view.setReadOnly(True)
        self.routes_view.setMinimumHeight(140)
        self.routes_view.setToolTip(
            "Where a model can be trained from this format: formats, limits, prices and "
            "the date its fine-tuned models stop serving (resources/platforms.json)."
        )
        form.addRow("Where to train", self.routes_view)
        self.template_edit = QLineEdit()
        self.template_edit.setObjectName("output_template_edit")
        self.template_edit.setToolTip(
            "The answer of each labelled example, with {{label}} where its label goes, e.g. "
            '{"intent": "{{label}}"}. Checked against the prompt version\'s response_schema '
            "before anything is written. Empty: the ideal outputs as stored."
        )
        form.addRow("Output template", self.template_edit)
        self.schema_label = QLabel("")
        self.schema_label.setWordWrap(True)
        form.addRow("", self.schema_label)
        self.folder_edit = QLineEdit()
        self.fraction_spin = QDoubleSpinBox()
        if export:
            row = QHBoxLayout()
            row.addWidget(self.folder_edit, 1)
            browse = QPushButton("Browse…")
            browse.clicked.connect(self._browse)
            row.addWidget(browse)
            form.addRow("Output folder", row)
            self.fraction_spin.setRange(0.0, 0.5)
            self.fraction_spin.setSingleStep(0.05)
            self.fraction_spin.setDecimals(2)
            self.fraction_spin.setSpecialValueText("none (use the validation split)")
            self.fraction_spin.setToolTip(
                "Share of train carved out (deterministically) as validation when the "
                "dataset has no validation split."
            )
            form.addRow("Validation share", self.fraction_spin)
        note = QLabel(
            "Approved examples outside the test split are exported. Each is "
            "rendered through the prompt version; its ideal output becomes the "
            "final assistant turn."
        )
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Export" if export else "Validate"
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.error_label = QLabel("")
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.prompt_combo.currentIndexChanged.connect(self._fill_versions)
        self.version_combo.currentIndexChanged.connect(self._show_schema)
        self.target_combo.currentIndexChanged.connect(self._show_routes)
        self._catalog: object | None = None
        self._load_routes()
        self._fill()
        self._show_routes()

    def _load_routes(self) -> None:
        """Read the platform facts once (two small bundled files)."""
        from studio.core.decide.platforms import load_platforms
        from studio.core.tokens.prices import load_price_table

        try:
            self._catalog = load_platforms()
            self._price_dates = load_price_table().dates
        except UserError as exc:
            self._catalog = None
            self.routes_view.setPlainText(exc.message)

    def _show_routes(self) -> None:
        """The routes for the chosen target; the base model only for a recipe target."""
        from studio.core.decide.platforms import PlatformCatalog
        from studio.core.decide.routes import routes_for_target

        target = str(self.target_combo.currentData() or "")
        self.base_model_edit.setEnabled(target in RECIPE_TARGETS)
        if not isinstance(self._catalog, PlatformCatalog):
            return
        routes = routes_for_target(target, self._catalog, self._price_dates)
        self.routes_view.setPlainText(
            "\n".join(line for r in routes for line in r.lines())
            if routes
            else f"No route in platforms.json takes {target} files."
        )

    def _fill(self) -> None:
        from studio.core.datasets import list_datasets
        from studio.core.prompts.service import list_prompts

        try:
            for ds in list_datasets(self.project):
                self.dataset_combo.addItem(ds.name, ds.id)
            for p in list_prompts(self.project):
                if p.latest_version is not None:
                    self.prompt_combo.addItem(p.name, p.name)
        except UserError as exc:
            self.error_label.setText(exc.message)
        self._fill_versions()

    def _fill_versions(self) -> None:
        from studio.core.prompts.service import log

        self.version_combo.clear()
        name = self.prompt_combo.currentData()
        if not name:
            return
        try:
            for v in log(self.project, name):
                labels = f"  [{', '.join(v.labels)}]" if v.labels else ""
                self.version_combo.addItem(f"v{v.version}{labels}", v.version)
        except UserError as exc:
            self.error_label.setText(exc.message)

    def _show_schema(self) -> None:
        """Say whether the chosen version fixes the answer's shape; suggest a template."""
        from studio.core.prompts.service import get_version

        name, version = self.prompt_combo.currentData(), self.version_combo.currentData()
        schema = None
        if name and version is not None:
            try:
                schema = get_version(self.project, name, int(version)).spec.response_schema
            except UserError as exc:
                self.error_label.setText(exc.message)
        if schema is None:
            self.schema_label.setText(
                "This version has no response_schema: answers are exported as stored."
            )
            self.template_edit.setPlaceholderText('optional, e.g. {"intent": "{{label}}"}')
            return
        suggestion = suggested_template(schema)
        self.schema_label.setText(
            f"v{version} has a response_schema: every exported answer must fit it. For "
            f"labelled examples use a template, e.g. {suggestion}"
        )
        self.template_edit.setPlaceholderText(suggestion)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to folder", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def choose(
        self,
        dataset: str | None = None,
        prompt: str | None = None,
        version: int | None = None,
        target: str | None = None,
    ) -> None:
        """Select items by value (tests and callers that know what they want)."""
        for combo, value in ((self.dataset_combo, dataset), (self.prompt_combo, prompt)):
            if value is not None:
                i = combo.findText(value)
                if i >= 0:
                    combo.setCurrentIndex(i)
        if version is not None:
            i = self.version_combo.findData(version)
            if i >= 0:
                self.version_combo.setCurrentIndex(i)
        if target is not None:
            i = self.target_combo.findData(target)
            if i >= 0:
                self.target_combo.setCurrentIndex(i)

    def choice(self) -> ExportChoice | None:
        """The current choice, or None (with the reason shown) when incomplete."""
        if self.dataset_combo.currentData() is None:
            self.error_label.setText("The project has no dataset.")
            return None
        if self.version_combo.currentData() is None:
            self.error_label.setText("The project has no saved prompt version.")
            return None
        out_dir = None
        if self.export:
            text = self.folder_edit.text().strip()
            if not text:
                self.error_label.setText("Choose an output folder.")
                return None
            out_dir = Path(text)
        fraction = self.fraction_spin.value() if self.export else 0.0
        template = self.template_edit.text().strip() or None
        if template is not None:
            try:
                OutputTemplate.parse(template)
            except UserError as exc:
                self.error_label.setText(exc.message)
                return None
        return ExportChoice(
            dataset_id=int(self.dataset_combo.currentData()),
            dataset_name=self.dataset_combo.currentText(),
            prompt_ref=f"{self.prompt_combo.currentData()}@{self.version_combo.currentData()}",
            target=str(self.target_combo.currentData()),
            out_dir=out_dir,
            validation_fraction=fraction or None,
            output_template=template,
            base_model=(
                self.base_model_edit.text().strip() or None
                if str(self.target_combo.currentData()) in RECIPE_TARGETS
                else None
            ),
        )

    def _accept(self) -> None:
        if self.choice() is not None:
            self.accept()
