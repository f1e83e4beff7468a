"""The example editor's label box: numbered label buttons and "any label" by typing.

Enter in the "any label" box takes the exact name, else the completion; a name that is
not a label yet is offered as a new one (asked once).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QGridLayout,
    QGroupBox,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

from studio.core.datasets import DatasetInfo, ExampleDetail
from studio.ui.datasets.detail_fields import ElidedButton

QUICK_KEYS = 9


class LabelPicker(QWidget):
    """The lowest layer of the example editor: choosing a label.

    The widgets are built by ``DetailEditor``.

    Signals:
        label_chosen(str): a label button or the label list was used.
        label_created(str): a new label name was typed and confirmed (add it, then set it).
    """

    label_chosen = Signal(str)
    label_created = Signal(str)

    # Built by DetailEditor
    detail: ExampleDetail | None
    info: DatasetInfo | None
    label_box: QGroupBox
    _label_grid: QGridLayout
    label_buttons: list[ElidedButton]
    _label_columns: int
    all_labels: QComboBox
    _choice_guard: bool

    def _set_label_choices(self, labels: list[str]) -> None:
        """One button per quick key (1-9) and every label in the "any label" box."""
        for b in self.label_buttons:
            b.deleteLater()
        self.label_buttons.clear()
        for i, name in enumerate(labels[:QUICK_KEYS]):
            b = ElidedButton(f"{i + 1}  {name}", self.label_box)
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setToolTip(f"Press {i + 1} in the table to label as {name} and move on")
            b.setStyleSheet("text-align: left; padding: 3px 6px;")
            # Long intent names must not widen the pane: the button shrinks, the tooltip tells
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            b.setMinimumWidth(60)
            b.clicked.connect(lambda _c=False, n=name: self.label_chosen.emit(n))
            self.label_buttons.append(b)
        self._label_columns = 0
        self._place_label_buttons()
        self.all_labels.clear()
        self.all_labels.addItems(labels)
        self.all_labels.setCurrentIndex(-1)
        completer = QCompleter(labels, self.all_labels)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.all_labels.setCompleter(completer)
        completer.activated[str].connect(self._choose)  # type: ignore[index]
        self.label_box.setVisible(bool(labels))

    def _place_label_buttons(self) -> None:
        """Three columns when every label fits, else two (else one): at 1280 x 800 three
        columns cut banking77's intent names (ISSUE-11 §6); long ones still elide."""
        if not self.label_buttons:
            self._label_grid.addWidget(self.all_labels, 0, 0, 1, 3)
            return
        fm = self.label_buttons[0].fontMetrics()
        need = max(fm.horizontalAdvance(b.full_text) for b in self.label_buttons) + 24
        room = max(1, self.label_box.width() - 12)
        cols = 3 if room >= 3 * need else 2 if room >= 2 * need * 0.8 else 1
        cols = max(cols, 2) if len(self.label_buttons) > 6 else cols
        if cols == self._label_columns:
            return
        self._label_columns = cols
        for i, b in enumerate(self.label_buttons):
            self._label_grid.removeWidget(b)
            self._label_grid.addWidget(b, i // cols, i % cols)
        self._label_grid.removeWidget(self.all_labels)
        rows = (len(self.label_buttons) + cols - 1) // cols
        self._label_grid.addWidget(self.all_labels, rows, 0, 1, cols)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.label_buttons:
            self._place_label_buttons()

    def _label_from_list(self, index: int) -> None:
        name = self.all_labels.itemText(index)
        if name:
            self._choose(name)

    def _choose(self, name: str) -> None:
        # The completer and the combo both report one choice: act on the first only
        if self._choice_guard:
            return
        self._choice_guard = True
        QTimer.singleShot(0, self._release_choice)
        self.label_chosen.emit(name)

    def _release_choice(self) -> None:
        self._choice_guard = False

    def label_for_text(self, text: str) -> str | None:
        """The label Enter picks for ``text``: an exact name (any case), else the
        highlighted completion, else the first completion; None if nothing matches."""
        text = text.strip()
        labels = list(self.info.label_set) if self.info else []
        if not text:
            return None
        for lab in labels:
            if lab.casefold() == text.casefold():
                return lab
        completer = self.all_labels.completer()
        if completer is None:
            return None
        popup = completer.popup()
        if popup is not None and popup.isVisible() and popup.currentIndex().isValid():
            return str(popup.currentIndex().data())
        completer.setCompletionPrefix(text)
        if completer.completionCount() > 0:
            completer.setCurrentRow(0)
            return completer.currentCompletion()
        return None

    def _label_line(self) -> QLineEdit:
        line = self.all_labels.lineEdit()
        assert line is not None  # the combo is editable
        return line

    def _label_entered(self) -> None:
        """Enter in the "any label" box: the completion, or (asked once) a new label."""
        line = self._label_line()
        text = line.text().strip()
        if not text or self.detail is None:
            return
        completer = self.all_labels.completer()
        popup = completer.popup() if completer is not None else None
        name = self.label_for_text(text)
        if popup is not None:
            popup.hide()
        if name is not None:
            line.setText(name)
            self._choose(name)
            return
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self,
            "New label",
            f"“{text}” is not one of this dataset's labels. Add it to the label list and "
            "give it to this example?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.label_created.emit(text)
        else:
            line.selectAll()
