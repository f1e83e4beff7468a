"""The provider dialog: where requests go, which key they carry, and whether it answers.

* Kind: OpenAI, Azure OpenAI, or an OpenAI-compatible server with presets for Ollama,
  vLLM, LM Studio and llama.cpp (their default local base URLs; all editable).
* The key field echoes as a password. "Save Key" hands it to
  :func:`studio.core.llm.keys.set_key` and says where it went: the system keyring, or,
  when this machine has none, memory for this session (the keyring status sentence).
  It is never written to a file (bars 16-17).
* Models come from ``GET /v1/models`` into an editable combo (Azure deployments and
  servers that list nothing can be typed).
* Providers are saved by :mod:`studio.core.llm.provider_store` (the same file the command
  line's ``studio provider`` reads and writes).
* A key over plain http to another machine needs a confirmation first
  (:func:`studio.ui.providers.insecure.confirm_insecure_key`).
* Test Connection runs :func:`studio.core.llm.probe.wait_until_ready` off the GUI thread;
  while a local server answers 503 "Loading model" the dialog says "Server is loading
  the model… 12 s" and Cancel stops the wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import UserError
from studio.core.llm import keys
from studio.core.llm.key_policy import environment_variable_for
from studio.core.llm.providers import OPENAI_BASE_URL, ProviderConfig
from studio.core.progress import CancelToken, Progress
from studio.ui.context import AppContext
from studio.ui.providers.insecure import confirm_insecure_key
from studio.ui.workers import TaskHandle


@dataclass(frozen=True)
class Preset:
    """A kind choice in the dialog: the provider kind and its default base URL."""

    title: str
    kind: str
    base_url: str
    hint: str = ""


PRESETS: tuple[Preset, ...] = (
    Preset("OpenAI", "openai", OPENAI_BASE_URL, "Key from platform.openai.com or OPENAI_API_KEY."),
    Preset(
        "Azure OpenAI",
        "azure",
        "https://YOUR-RESOURCE.openai.azure.com",
        "The resource endpoint; the model is the deployment name.",
    ),
    Preset(
        "OpenAI-compatible: Ollama",
        "compatible",
        "http://127.0.0.1:11434/v1",
        "Ollama ignores the key; models must be pulled first (ollama pull).",
    ),
    Preset(
        "OpenAI-compatible: vLLM",
        "compatible",
        "http://127.0.0.1:8000/v1",
        "A key is needed only if vllm serve was started with --api-key.",
    ),
    Preset(
        "OpenAI-compatible: LM Studio",
        "compatible",
        "http://127.0.0.1:1234/v1",
        "Start the server in LM Studio's Developer tab; the first request loads the model.",
    ),
    Preset(
        "OpenAI-compatible: llama.cpp",
        "compatible",
        "http://127.0.0.1:8080/v1",
        "llama-server's port depends on the build (8080 on older builds): check yours.",
    ),
    Preset(
        "OpenAI-compatible: other",
        "compatible",
        "http://127.0.0.1:8000/v1",
        "Any server that speaks the OpenAI chat completions API.",
    ),
)

_SOURCE_TEXT = {
    "keyring": "A key is saved in the system keyring.",
    "session": "A key is kept in memory for this session only.",
    "environment": "Using the key from the environment",
}


def _wait_text(seconds: float, message: str) -> str:
    if "loading" in message.lower():
        return f"Server is loading the model… {seconds:.0f} s"
    return f"Waiting for the server… {seconds:.0f} s ({message})"


def describe_key_source(config: ProviderConfig | None, name: str, kind: str) -> str:
    """One sentence: is there a key for this provider and where does it come from."""
    target: ProviderConfig | str = config if config is not None else name
    if not name.strip():
        return ""
    _, source = keys.get_key_with_source(target)
    if source is None:
        if kind == "compatible":
            return "No key stored; local servers usually need none."
        env = environment_variable_for(config) if config is not None else None
        if env is None:
            # OPENAI_API_KEY / AZURE_OPENAI_API_KEY go only to OpenAI's / Azure's own hosts
            return (
                "No key stored yet: type one and Save Key (environment keys are only "
                "sent to OpenAI's and Azure's own hosts)."
            )
        return f"No key stored yet: type one and Save Key, or set {env}."
    if source == "environment":
        env = "AZURE_OPENAI_API_KEY" if kind == "azure" else "OPENAI_API_KEY"
        return f"{_SOURCE_TEXT['environment']} ({env})."
    return _SOURCE_TEXT[source]


class ProviderDialog(QDialog):
    """Create or edit one provider.

    Args:
        context: for the task runner (Test Connection / model fetch run off the GUI thread).
        config: the provider to edit (None = a new one).
        taken_names: names of other providers (a new name must not clash).

    Signals:
        key_saved(str): a key was stored; the argument is "keyring" or "session".
        test_finished(bool, str): Test Connection ended (ok, sentence shown).
        models_loaded(list): the model list was fetched.
    """

    key_saved = Signal(str)
    test_finished = Signal(bool, str)
    models_loaded = Signal(list)

    def __init__(
        self,
        context: AppContext,
        config: ProviderConfig | None = None,
        taken_names: list[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("providerDialog")
        self.setWindowTitle("Edit Provider" if config else "Add Provider")
        self.context = context
        self.original = config
        self.taken_names = {n for n in (taken_names or []) if not config or n != config.name}
        self._handle: TaskHandle | None = None
        self._token: CancelToken | None = None
        self.result_config: ProviderConfig | None = None

        self.name_edit = QLineEdit(config.name if config else "")
        self.name_edit.setObjectName("provider_name")
        self.name_edit.setPlaceholderText("e.g. Local Ollama, OpenAI work account")
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("provider_kind")
        for preset in PRESETS:
            self.kind_combo.addItem(preset.title, preset)
        self.kind_hint = QLabel()
        self.kind_hint.setWordWrap(True)
        self.kind_hint.setStyleSheet("color: palette(placeholder-text);")
        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("provider_base_url")
        self.version_label = QLabel("API version:")
        self.version_edit = QLineEdit(config.api_version or "" if config else "2024-10-21")
        self.version_edit.setObjectName("provider_api_version")
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("provider_key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("paste the API key (stored in the keyring, never a file)")
        self.save_key_button = QPushButton("Save Key")
        self.save_key_button.setObjectName("save_key_button")
        self.save_key_button.setToolTip(
            "Store the key in the system keyring (or, without one, in memory for this session)"
        )
        self.save_key_button.clicked.connect(self.save_key)
        self.forget_key_button = QPushButton("Forget")
        self.forget_key_button.setToolTip("Remove the stored key (environment variables stay)")
        self.forget_key_button.clicked.connect(self.forget_key)
        self.key_status = QLabel()
        self.key_status.setObjectName("key_status")
        self.key_status.setWordWrap(True)
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("provider_model")
        self.model_combo.setEditable(True)
        self.model_combo.setMinimumContentsLength(24)
        if config and config.default_model:
            self.model_combo.addItem(config.default_model)
        self.fetch_button = QPushButton("Fetch Models")
        self.fetch_button.setObjectName("fetch_models_button")
        self.fetch_button.setToolTip("List the models the server offers (GET /v1/models)")
        self.fetch_button.clicked.connect(lambda: self.test_connection(fetch_only=True))
        self.test_button = QPushButton("Test Connection")
        self.test_button.setObjectName("test_connection_button")
        self.test_button.clicked.connect(self.test_connection)
        self.cancel_test_button = QPushButton("Cancel Test")
        self.cancel_test_button.setObjectName("cancel_test_button")
        self.cancel_test_button.setEnabled(False)
        self.cancel_test_button.clicked.connect(self.cancel_test)
        self.test_status = QLabel()
        self.test_status.setObjectName("test_status")
        self.test_status.setWordWrap(True)
        self.test_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = QLabel()
        self.error_label.setObjectName("provider_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b3261e;")

        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("Kind:", self.kind_combo)
        form.addRow("", self.kind_hint)
        form.addRow("Base URL:", self.url_edit)
        form.addRow(self.version_label, self.version_edit)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.save_key_button)
        key_row.addWidget(self.forget_key_button)
        form.addRow("API key:", key_row)
        form.addRow("", self.key_status)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.fetch_button)
        form.addRow("Default model:", model_row)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.cancel_test_button)
        test_row.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(test_row)
        layout.addWidget(self.test_status)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(620, self.sizeHint().height())

        self._select_initial_kind(config)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.name_edit.textChanged.connect(lambda _: self._refresh_key_status())
        self._kind_changed(apply_url=config is None)
        if config is not None:
            self.url_edit.setText(config.base_url)
        self._refresh_key_status()

    # -- state ---------------------------------------------------------------------------
    def _select_initial_kind(self, config: ProviderConfig | None) -> None:
        if config is None:
            self.kind_combo.setCurrentIndex(0)
            return
        for i, preset in enumerate(PRESETS):
            if preset.kind == config.kind and (
                preset.kind != "compatible" or preset.base_url == config.base_url
            ):
                self.kind_combo.setCurrentIndex(i)
                return
        # a compatible server at a custom address: "other"
        self.kind_combo.setCurrentIndex(len(PRESETS) - 1 if config.kind == "compatible" else 0)

    @property
    def preset(self) -> Preset:
        """The selected kind/preset."""
        data = self.kind_combo.currentData()
        assert isinstance(data, Preset)
        return data

    def select_preset(self, title: str) -> None:
        """Pick a kind by its title (tests and scripted setups)."""
        index = self.kind_combo.findText(title)
        if index < 0:
            raise ValueError(f"no preset {title!r}")
        self.kind_combo.setCurrentIndex(index)

    def _kind_changed(self, *_: Any, apply_url: bool = True) -> None:
        preset = self.preset
        self.kind_hint.setText(preset.hint)
        azure = preset.kind == "azure"
        self.version_label.setVisible(azure)
        self.version_edit.setVisible(azure)
        if apply_url:
            self.url_edit.setText(preset.base_url)
        self._refresh_key_status()

    def _refresh_key_status(self) -> None:
        text = describe_key_source(self._config_or_none(), self.name_edit.text(), self.preset.kind)
        ok, sentence = keys.keyring_status()
        if not ok and text and "session" not in text:
            text = f"{text} {sentence}"
        self.key_status.setText(text)

    def _config_or_none(self) -> ProviderConfig | None:
        try:
            return self.build_config()
        except UserError:
            return None

    def build_config(self) -> ProviderConfig:
        """The provider the form describes.

        Raises:
            ValidationError: a field is missing or malformed (the sentence names it).
        """
        preset = self.preset
        model = self.model_combo.currentText().strip() or None
        return ProviderConfig(
            name=self.name_edit.text().strip(),
            base_url=self.url_edit.text().strip(),
            kind=preset.kind,  # type: ignore[arg-type]
            api_version=(self.version_edit.text().strip() or None)
            if preset.kind == "azure"
            else None,
            default_model=model,
        )

    # -- key -----------------------------------------------------------------------------
    def save_key(self) -> str | None:
        """Store the typed key; say where it went. Returns "keyring"/"session" or None."""
        key = self.key_edit.text().strip()
        if not key:
            self.key_status.setText("Type or paste a key first.")
            return None
        try:
            config = self.build_config()
        except UserError as exc:
            self.error_label.setText(exc.message)
            return None
        if self.original is not None and self.original.name != config.name:
            keys.delete_key(self.original)
        source = keys.set_key(config, key)
        self.key_edit.clear()  # the widget does not keep it
        if source == "keyring":
            self.key_status.setText("Saved in the system keyring.")
        else:
            self.key_status.setText(keys.keyring_status()[1])
        self.key_saved.emit(source)
        return source

    def forget_key(self) -> None:
        """Remove the stored key of this provider."""
        name = self.name_edit.text().strip()
        if name:
            keys.delete_key(self._config_or_none() or name)
        self._refresh_key_status()

    def _key_for_test(self, config: ProviderConfig) -> str | None:
        typed = self.key_edit.text().strip()
        return typed or keys.get_key(config)

    # -- connection ----------------------------------------------------------------------
    def test_connection(self, fetch_only: bool = False) -> None:
        """Wait until the server lists its models (off the GUI thread, cancellable)."""
        if self._handle is not None and not self._handle.done:
            return
        self.error_label.clear()
        try:
            config = self.build_config()
        except UserError as exc:
            self.error_label.setText(exc.message)
            return
        key = self._key_for_test(config)
        if not confirm_insecure_key(self, config.base_url, key):
            self.test_status.setText(
                "Not tested: the key would travel unencrypted. Use an https address, or "
                "allow it when asked."
            )
            return
        token = CancelToken()
        self._token = token
        timeout = 10.0 if fetch_only else 120.0

        def work(report: Any) -> list[str]:
            from studio.core.llm.probe import wait_until_ready

            def on_wait(waited: float, message: str) -> None:
                report(Progress(int(waited), 0, _wait_text(waited, message)))

            return wait_until_ready(config, key, timeout_s=timeout, cancel=token, on_wait=on_wait)

        self.test_status.setText("Connecting…")
        self._set_testing(True)
        self._handle = self.context.runner.run(
            work,
            on_done=self._test_done,
            on_error=self._test_failed,
            on_cancel=self._test_cancelled,
            on_progress=self._test_progress,
            token=token,
            db=False,
        )

    def cancel_test(self) -> None:
        """Stop a running Test Connection."""
        if self._handle is not None:
            self._handle.cancel()

    @property
    def testing(self) -> bool:
        """True while Test Connection runs."""
        return self._handle is not None and not self._handle.done

    def _alive(self) -> bool:
        return shiboken6.isValid(self)

    def _set_testing(self, on: bool) -> None:
        self.test_button.setEnabled(not on)
        self.fetch_button.setEnabled(not on)
        self.cancel_test_button.setEnabled(on)

    def _test_progress(self, progress: Progress) -> None:
        if self._alive():
            self.test_status.setText(progress.message)

    def _test_done(self, models: list[str]) -> None:
        if not self._alive():
            return
        from studio.core.llm.probe import describe_models

        self._set_testing(False)
        current = self.model_combo.currentText().strip()
        self.model_combo.clear()
        self.model_combo.addItems(models)
        if current:
            index = self.model_combo.findText(current)
            if index >= 0:
                self.model_combo.setCurrentIndex(index)
            else:
                self.model_combo.setEditText(current)
        text = f"Connected. {describe_models(models)}"
        self.test_status.setText(text)
        self.models_loaded.emit(models)
        self.test_finished.emit(True, text)

    def _test_failed(self, exc: BaseException) -> None:
        if not self._alive():
            return
        self._set_testing(False)
        text = (
            exc.message
            if isinstance(exc, UserError)
            else keys.redact(f"The test failed: {type(exc).__name__}: {exc}")
        )
        self.test_status.setText(text)
        self.test_finished.emit(False, text)

    def _test_cancelled(self) -> None:
        if not self._alive():
            return
        self._set_testing(False)
        self.test_status.setText("Test cancelled.")
        self.test_finished.emit(False, "Test cancelled.")

    # -- accept --------------------------------------------------------------------------
    def accept(self) -> None:
        """Validate, store a typed key, and close with :attr:`result_config` set."""
        try:
            config = self.build_config()
        except UserError as exc:
            self.error_label.setText(exc.message)
            return
        if config.name in self.taken_names:
            self.error_label.setText(f"A provider called {config.name!r} already exists.")
            return
        if self.key_edit.text().strip():
            source = self.save_key()
            if source is not None:
                where = (
                    "in the system keyring"
                    if source == "keyring"
                    else "in memory for this session only (no system keyring)"
                )
                self.context.show_status(f"The key of {config.name} is kept {where}.")
        elif self.original is not None and self.original.name != config.name:
            # carry a stored key over to the new name
            key, source = keys.get_key_with_source(self.original)
            if key and source in ("keyring", "session"):
                keys.set_key(config, key)
                keys.delete_key(self.original)
        self.cancel_test()
        self.result_config = config
        super().accept()

    def reject(self) -> None:
        """Close without saving; a running test is cancelled."""
        self.cancel_test()
        super().reject()
