"""Capture the README screenshots from the real window on the demo project.

Run under a virtual X server so the real xcb platform (fonts, style) is used:

    xvfb-run -s "-screen 0 1400x900x24" /work/venv/bin/python resources/screenshots/capture.py

Writes ``prompts.png`` (the editor) and ``prompt-diff.png`` (history with a diff) next to
this file. Settings and the demo project go to a temporary STUDIO_HOME.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent


def main() -> int:
    os.environ["STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-shots-")
    os.environ.setdefault("STUDIO_USER", "alice")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.context import AppContext
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import AppSettings
    from studio.ui.widgets.icons import app_icon

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Prompt & Dataset Studio")
    app.setWindowIcon(app_icon())
    context = AppContext()
    window = MainWindow(context, settings=AppSettings())
    window.resize(1400, 900)
    window.move(0, 0)
    window.show()

    def wait(condition: object, ms: int = 20000) -> None:
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(20)

        def check() -> None:
            if condition() and not context.runner.busy:  # type: ignore[operator]
                loop.quit()

        timer.timeout.connect(check)
        timer.start()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        timer.stop()

    def settle(ms: int = 300) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    window.open_demo()
    wait(lambda: context.project is not None)
    view = window.view("prompts")
    view.list_panel.select("support-reply")
    wait(lambda: view.current == "support-reply")
    editor = view.editor
    editor.tabs.setCurrentWidget(editor.preview)
    editor.preview.set_value("customer_name", "Priya Shah")
    editor.preview.set_value("account_notes", "Premium account; card ending 4417 frozen yesterday")
    editor.preview.set_value(
        "customer_message", "My card was declined twice at the supermarket today. Why?"
    )
    # an edit in progress, so the window shows a live state (Save Version enabled)
    card = editor.messages.cards[1]
    card.text.setPlainText(card.text.toPlainText() + " Keep it under 100 words.")
    settle()
    window.grab().save(str(OUT / "prompts.png"))

    extra = os.environ.get("STUDIO_SHOT_EXTRA")  # a folder for extra shots to look at
    if extra:
        editor.tabs.setCurrentWidget(editor.params)
        settle()
        window.grab().save(str(Path(extra) / "params.png"))
    editor.discard_changes()

    view.list_panel.select("ticket-extract")
    wait(lambda: view.current == "ticket-extract")
    if extra:
        editor.tabs.setCurrentWidget(editor.schema.parentWidget())
        settle()
        window.grab().save(str(Path(extra) / "schema.png"))
    view.list_panel.select("support-reply")
    wait(lambda: view.current == "support-reply")
    view.tabs.setCurrentWidget(view.history)
    view.history.select_versions([2, 1])
    wait(lambda: view.history.diff.diff is not None)
    settle()
    window.grab().save(str(OUT / "prompt-diff.png"))
    print(f"wrote {OUT / 'prompts.png'} and {OUT / 'prompt-diff.png'}")
    if os.environ.get("STUDIO_SHOT_ROOT"):
        os.system(f"import -window root {OUT / 'root.png'}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
