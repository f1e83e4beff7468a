"""The Validate view's dataset sources: validate what a dataset would export, or export it.

``From dataset…`` exports to a temporary folder and validates the train file;
``Export…`` writes a real export and shows its manifest.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from studio.core.export import ExportResult, FileResult, export_dataset
from studio.core.progress import CancelToken
from studio.ui.validate.dataset_dialog import DatasetExportDialog, ExportChoice
from studio.ui.validate.run import ValidationRun


class DatasetExports(ValidationRun):
    """Runs a dataset export off the GUI thread and shows each file it wrote."""

    def _ask_choice(self, *, export: bool) -> ExportChoice | None:
        """Ask for dataset, prompt version and target (and, to export, a folder)."""
        if self.context.project is None:
            return None
        dialog = DatasetExportDialog(self.context.project, export=export, parent=self)
        try:
            return dialog.choice() if dialog.exec() else None
        finally:
            dialog.deleteLater()

    def _dataset_dialog(self) -> None:
        choice = self._ask_choice(export=False)
        if choice is not None:
            self.validate_dataset(choice)

    def _export_dialog(self) -> None:
        choice = self._ask_choice(export=True)
        if choice is None or choice.out_dir is None:
            return
        from studio.core.export.local_lora import RECIPE_FILES
        from studio.core.export.run import MANIFEST_FILE, TRAIN_FILE, VALIDATION_FILE
        from studio.ui.widgets.save_path import confirm_output

        if not confirm_output(
            self,
            self.context,
            choice.out_dir,
            folder=True,
            writes=(TRAIN_FILE, VALIDATION_FILE, MANIFEST_FILE, *RECIPE_FILES),
        ):
            return
        self.export_to(choice)

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
            return export_dataset(
                project,
                choice.dataset_id,
                choice.target,
                choice.prompt_ref,
                out,
                validation_fraction=choice.validation_fraction,
                output_template=choice.output_template,
                model=model,
                keep_failed=keep_failed,
                progress=report,
                cancel=token,
                base_model=choice.base_model,
            )

        self._run_work(
            work,
            generation,
            token,
            lambda r: self._export_done(generation, choice, r, keep_failed),
            progress_format="Exporting…",
            db=True,
        )

    def _export_done(
        self, generation: int, choice: ExportChoice, result: ExportResult, temporary: bool
    ) -> None:
        if not self._work_ended(generation):
            return
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
        # a recipe target (local-lora) wrote files of its data format (trl)
        data_format = str(result.manifest.get("data_format", result.target))
        i = self.format_combo.findData(data_format)
        if i >= 0:
            self.format_combo.setCurrentIndex(i)
        self.path = None
        self.source_label.setText(
            f"{choice.dataset_name} through {choice.prompt_ref} as {result.target}"
        )
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
        if (
            report is None
            or self.schema_edit.text().strip()
            or self.selected_format() != result.manifest.get("data_format", result.target)
            or self.selected_model() != self._export_model
        ):
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
        from studio.core.export.provenance import provenance_sentence

        sentence = provenance_sentence(result.manifest)
        head = result.message + (f"\n{sentence}." if sentence else "") + "\n\n"
        return head + json.dumps(data, indent=2, ensure_ascii=False)
