"""File ▸ Open Server Project… / New Server Project…: where a PostgreSQL project is.

The dialog collects host, port, database, user and sslmode and shows the location they
make (``postgresql://user@host:port/db``, never with a password). A password typed here
is used for this login until the app quits and, with "Remember in the keyring", stored
under the keyring service the core reads (:mod:`studio.core.db.server_check`); it is
never written to the settings. Test Connection connects on a worker thread (a server
can take seconds to answer) and says in one sentence what it found.
"""

from __future__ import annotations

import getpass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.db.location_label import SSL_MODES, fields_of_location, location_from_fields
from studio.ui.context import AppContext

DEFAULT_PORT = 5432

_KIND_COLOURS = {"ok": "#2b8a3e", "empty": "#2b8a3e"}


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""


class ServerProjectDialog(QDialog):
    """Ask where a server project is; Test Connection off the GUI thread.

    ``create``: the dialog of New Server Project… (the button says Create, and an
    empty database is what it wants).

    Signals:
        checked(str, str): a connection test finished (kind, message).
    """

    checked = Signal(str, str)

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        *,
        create: bool = False,
        location: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.creating = create
        self._gen = 0
        self.last_check: tuple[str, str] | None = None
        self.setObjectName("serverProjectDialog")
        self.setWindowTitle("New Server Project" if create else "Open Server Project")
        self.setMinimumWidth(520)

        col = QVBoxLayout(self)
        intro = QLabel(
            "A project in a PostgreSQL database, shared by the team. "
            + (
                "The database is created if it does not exist; an existing one must be empty."
                if create
                else "Every change is saved on the server at once."
            )
        )
        intro.setWordWrap(True)
        col.addWidget(intro)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.host = QLineEdit("localhost")
        self.host.setObjectName("serverHost")
        self.port = QSpinBox()
        self.port.setObjectName("serverPort")
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setMinimumWidth(90)
        self.database = QLineEdit()
        self.database.setObjectName("serverDatabase")
        self.database.setPlaceholderText("e.g. labelling")
        self.user = QLineEdit(_login_name())
        self.user.setObjectName("serverUser")
        self.sslmode = QComboBox()
        self.sslmode.setObjectName("serverSslmode")
        self.sslmode.addItems(SSL_MODES)
        self.sslmode.setCurrentText("prefer")
        self.sslmode.setToolTip(
            "disable: never encrypt · prefer: encrypt when the server can (default) · "
            "require: always encrypt · verify-full: encrypt and check the server's certificate"
        )
        self.password = QLineEdit()
        self.password.setObjectName("serverPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("optional: else keyring, PGPASSWORD or ~/.pgpass")
        self.remember = QCheckBox("Remember in the keyring")
        self.remember.setObjectName("serverRemember")
        self.remember.setToolTip(
            "Store the password in the system keyring (service studio-postgresql), never in "
            "the settings or the project."
        )
        self.remember.setEnabled(False)
        form.addRow("&Host:", self.host)
        form.addRow("P&ort:", self.port)
        form.addRow("&Database:", self.database)
        form.addRow("&User:", self.user)
        form.addRow("&SSL mode:", self.sslmode)
        form.addRow("&Password:", self.password)
        form.addRow("", self.remember)
        col.addLayout(form)

        self.location_label = QLabel()
        self.location_label.setObjectName("serverLocation")
        self.location_label.setWordWrap(True)
        self.location_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.location_label.setStyleSheet("color: palette(placeholder-text);")
        col.addWidget(self.location_label)

        self.result_label = QLabel()
        self.result_label.setObjectName("serverCheckResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setMinimumHeight(self.result_label.fontMetrics().lineSpacing() * 5)
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        col.addWidget(self.result_label)

        self.buttons = QDialogButtonBox()
        self.test_button = QPushButton("&Test Connection")
        self.test_button.setObjectName("serverTest")
        self.test_button.setAutoDefault(False)
        self.open_button = self.buttons.addButton(
            "Create" if create else "Open", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.open_button.setObjectName("serverOpen")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.test_button.clicked.connect(self.test_connection)
        self.buttons.accepted.connect(self._accept_if_valid)
        self.buttons.rejected.connect(self.reject)
        # Test Connection on the left, away from Open/Cancel (it only asks the server)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addStretch(1)
        row.addWidget(self.buttons)
        col.addLayout(row)

        for edit in (self.host, self.database, self.user):
            edit.textChanged.connect(self._fields_changed)
        self.port.valueChanged.connect(self._fields_changed)
        self.sslmode.currentTextChanged.connect(self._fields_changed)
        self.password.textChanged.connect(self._password_changed)
        if location:
            self.set_location(location)
        self._fields_changed()

    # -- fields ------------------------------------------------------------------------------

    def set_location(self, location: str) -> None:
        """Fill the fields from ``postgresql://user@host:port/db[?sslmode=…]``."""
        fields = fields_of_location(location)
        if fields is None:
            return
        self.host.setText(str(fields["host"]))
        self.port.setValue(int(fields["port"]))
        self.database.setText(str(fields["database"]))
        self.user.setText(str(fields["user"]))
        self.sslmode.setCurrentText(str(fields["sslmode"]))

    def location(self) -> str | None:
        """The location the fields make, or None (with the reason shown) when incomplete."""
        try:
            return self._build()
        except ValueError as exc:
            self._show_result("bad_location", str(exc))
            return None

    def _build(self) -> str:
        # the standard library only: no database stack on the GUI thread
        return location_from_fields(
            self.host.text(),
            self.port.value(),
            self.database.text(),
            self.user.text(),
            self.sslmode.currentText(),
        )

    def _location_quiet(self) -> str | None:
        try:
            return self._build()
        except ValueError:
            return None

    def _fields_changed(self, *_args: Any) -> None:
        self._gen += 1  # a test still running answers for the old fields: ignore it
        loc = self._location_quiet()
        self.location_label.setText(f"Location: {loc}" if loc else "Location: (fill in the fields)")
        self.open_button.setEnabled(loc is not None)
        self.test_button.setEnabled(loc is not None)
        self.result_label.clear()
        self.last_check = None

    def _password_changed(self, text: str) -> None:
        self.remember.setEnabled(bool(text))
        if not text:
            self.remember.setChecked(False)
        self._gen += 1
        self.result_label.clear()
        self.last_check = None

    def _show_result(self, kind: str, message: str) -> None:
        colour = _KIND_COLOURS.get(kind, "#c92a2a")
        self.result_label.setStyleSheet(f"color: {colour};")
        self.result_label.setText(message)

    # -- test connection ---------------------------------------------------------------------

    def test_connection(self) -> None:
        """Connect on a worker; the answer appears under the fields (and in ``checked``)."""
        location = self.location()
        if location is None:
            return
        password = self.password.text()
        self._gen += 1
        gen = self._gen
        self.test_button.setEnabled(False)
        self.result_label.setStyleSheet("color: palette(placeholder-text);")
        self.result_label.setText(f"Connecting to {location}…")

        def work() -> tuple[str, str]:
            from studio.core.db.server_check import check_connection, use_password

            # an empty field means "not typed": the keyring, PGPASSWORD or ~/.pgpass
            use_password(location, password)
            check = check_connection(location)
            return check.kind, check.message

        def done(result: tuple[str, str]) -> None:
            if gen != self._gen:
                return
            self.test_button.setEnabled(True)
            self.last_check = result
            self._show_result(*result)
            self.checked.emit(*result)

        def failed(exc: BaseException) -> None:
            if gen != self._gen:
                return
            from studio.ui.errors import describe

            message, _details = describe(exc)
            self.test_button.setEnabled(True)
            self.last_check = ("other", message)
            self._show_result("other", message)
            self.checked.emit("other", message)

        self.context.runner.run(work, on_done=done, on_error=failed, db=False)

    def _accept_if_valid(self) -> None:
        if self.location() is not None:
            self.accept()

    def done(self, result: int) -> None:
        """Close the dialog; a connection test still running is ignored from now on."""
        self._gen += 1
        super().done(result)
