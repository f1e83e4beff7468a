"""The Validate view's "Go to": a finding's line read from disk, shown, its column marked.

The line is read on demand (never the whole file); for a dataset export the app is
also asked to open the example in the Datasets view.
"""

from __future__ import annotations

import json
import re

from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit

from studio.core.formats import Finding
from studio.ui.validate.exports import DatasetExports
from studio.ui.validate.line_reader import LineText, read_line

_COLUMN_RE = re.compile(r"column (\d+)")
PRETTY_MAX_CHARS = 6000


class GoToLine(DatasetExports):
    """Shows the line behind a finding (and the example behind an export's line)."""

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
                "datasets", {"dataset_id": dataset_id, "example_id": example}
            )

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
            cursor.movePosition(
                QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor
            )
            fmt = QTextCharFormat()
            fmt.setBackground(QColor("#e53935"))
            fmt.setForeground(QColor("#ffffff"))
            fmt.setFontWeight(QFont.Weight.Bold)
            sel = QTextEdit.ExtraSelection()
            sel.cursor = cursor
            sel.format = fmt
            selections.append(sel)
        self.viewer.setExtraSelections(selections)
