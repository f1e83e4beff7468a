"""Regenerate resources/screenshots/decide.png (not a test; run by hand).

    QT_QPA_PLATFORM=offscreen python tests/ui/decide/screenshot_decide.py

Builds a demo-like project (banking77 slice, two prompt versions, an A/B across models
recorded against a local server), saves the demo answers and grabs the Decide view.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TESTS = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TESTS))

from helpers.decide_project import build_decision_project  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

REPO = TESTS.parent
BANKING77 = REPO.parent / "shared" / "datasets" / "banking77"
TODAY = date(2026, 11, 22)


def main(out: Path = REPO / "resources" / "screenshots" / "decide.png") -> None:
    app = QApplication.instance() or QApplication([])
    from studio.core.db.project import open_project
    from studio.core.demo_decision import add_demo_decision
    from studio.ui.context import AppContext
    from studio.ui.decide import DecideView

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-like.studio"
        build_decision_project(path, BANKING77, per_label_train=130, per_label_test=40)
        with open_project(path) as project:
            add_demo_decision(project, today=TODAY, with_report=False)
        ctx = AppContext()
        view = DecideView(ctx)
        view.today = TODAY
        view.resize(1400, 900)
        view.show()
        ctx.set_project(open_project(path))
        deadline = time.monotonic() + 60
        while view.decision is None and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
        for _ in range(10):
            app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        view.grab().save(str(out))
        print(f"{out}: {view.decision.headline if view.decision else 'no decision'}")
        ctx.runner.shutdown()
        ctx.set_project(None)
        view.deleteLater()


if __name__ == "__main__":
    main(Path(sys.argv[1])) if len(sys.argv) > 1 else main()
