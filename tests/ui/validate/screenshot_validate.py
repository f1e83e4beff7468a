"""Regenerate resources/screenshots/validate.png (not a test; run by hand).

    QT_QPA_PLATFORM=offscreen python tests/ui/validate/screenshot_validate.py

Writes a JSONL file full of problems (BOM, blank line, bad JSON with a column, unknown
role, missing assistant, special token, a tool reply that answers no call, an e-mail and
an sk- key, an over-limit example, duplicates), validates it in the Validate view and
goes to the invalid-JSON line, then grabs the view.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from problem_file import PROBLEM_LINES, write_problem_file  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

REPO = HERE.parents[2]


def main(out: Path = REPO / "resources" / "screenshots" / "validate.png") -> None:
    app = QApplication.instance() or QApplication([])
    from studio.core.formats import Finding
    from studio.ui.context import AppContext
    from studio.ui.validate import ValidateView

    with tempfile.TemporaryDirectory() as tmp:
        path = write_problem_file(Path(tmp) / "support-chats.jsonl")
        ctx = AppContext()
        view = ValidateView(ctx)
        view.resize(1500, 900)
        view.show()
        view.open_file(path)
        deadline = time.monotonic() + 60
        while view.report is None and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
        assert view.report is not None
        bad = next(f for f in view.report.findings if f.code == "invalid_json")
        view.go_to(Finding(PROBLEM_LINES["invalid_json"], bad.severity, bad.code, bad.message))
        for leaf in view.findings.leaves():
            f = view.findings.finding_of(leaf)
            if f is not None and f.code == "invalid_json":
                view.findings.setCurrentItem(leaf)
        for _ in range(10):
            app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        view.grab().save(str(out))
        print(f"{out}: {len(view.report.findings)} findings")
        ctx.runner.shutdown()
        view.deleteLater()
        app.processEvents()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "resources" / "screenshots"
         / "validate.png")
