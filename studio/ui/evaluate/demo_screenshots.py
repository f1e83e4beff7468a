"""Render the Evaluate screenshots from a real run against a local loopback server.

``python -m studio.ui.evaluate.demo_screenshots OUT_DIR`` (best under
``xvfb-run -s "-screen 0 1600x1000x24"`` for real fonts) writes ``evaluate-summary.png``
(verdict and charts) and ``evaluate-cases.png`` (side by side with a diff). The project
is the demo project (a banking77 slice: PolyAI, CC BY 4.0); the "model" is the studio's
loopback OpenAI-compatible server answering intents, right more often with the prompt
version that has worked examples, so the run is labelled "recorded against a local
server" like any run made against one.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class IntentModel:
    """A deterministic stand-in for a small local model classifying banking intents."""

    def __init__(self, truth: dict[str, str]) -> None:
        self.truth = truth
        self.intents = sorted(set(truth.values()))

    def __call__(self, body: dict[str, Any]) -> str:
        messages = body.get("messages") or []
        text = str(messages[-1].get("content", "")) if messages else ""
        few_shot = len(messages) > 2
        d = hashlib.sha256(text.encode()).digest()
        hard = d[0] * 100 // 256
        right = (hard < 88 and d[1] * 100 // 256 >= 5) if few_shot else hard < 68
        truth = self.truth.get(text, self.intents[0])
        if right:
            return truth
        wrong = [i for i in self.intents if i != truth]
        return wrong[(d[2] + (5 if few_shot else 0)) % len(wrong)]

    @staticmethod
    def latency(body: dict[str, Any]) -> float:
        # longer prompts (worked examples) take a little longer, with some spread
        size = sum(len(str(m.get("content", ""))) for m in body.get("messages") or [])
        jitter = hashlib.sha256(str(body.get("messages")).encode()).digest()[0] / 255
        return 0.03 + size / 200_000 + 0.05 * jitter**3


def main(out_dir: str) -> int:
    """Build the project, run the A/B from the view, and save the two screenshots."""
    os.environ["STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-eval-shots-")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from studio.core.db.project import open_project
    from studio.core.demo import create_demo_project
    from studio.core.evals.service import load_examples
    from studio.core.llm.loopback_server import LoopbackServer
    from studio.core.llm.providers import ProviderConfig
    from studio.ui.context import AppContext
    from studio.ui.evaluate.view import EvaluateView

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    path = Path(os.environ["STUDIO_HOME"]) / "banking.studio"
    create_demo_project(path)
    project = open_project(path)
    with project.engine.connect() as conn:
        from sqlalchemy import text

        ids = [int(r[0]) for r in conn.execute(text("SELECT id FROM example")).all()]
    truth = {str(next(iter(e.inputs.values()))): str(e.label)
             for e in load_examples(project, ids) if e.inputs}
    model = IntentModel(truth)
    context = AppContext()
    context.set_project(project)

    def wait(condition: Any, ms: int = 60000) -> None:
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(20)
        def check() -> None:
            if condition() and not context.runner.busy:
                loop.quit()

        timer.timeout.connect(check)
        QTimer.singleShot(ms, loop.quit)
        timer.start()
        loop.exec()
        timer.stop()

    with LoopbackServer(latency=model.latency, responder=model,
                        models=("qwen2.5-7b-instruct", "llama3.1-8b")) as server:
        view = EvaluateView(context)
        view.resize(1400, 900)
        view.show()
        wait(lambda: bool(view.setup.lists.prompts))
        view.setup.save_provider(ProviderConfig("Local llama.cpp", server.base_url,
                                                "compatible",
                                                default_model="qwen2.5-7b-instruct"))
        view.setup.set_variants([("banking-intent", 2, ""), ("banking-intent", 3, "")])
        view.setup.refresh_estimate()
        wait(lambda: view.setup.run_button.isEnabled())
        view.setup.grab().save(str(out / "evaluate-setup.png"))
        view.setup.request_run()
        wait(lambda: view.last_outcome is not None and view.loaded is not None
             and view.loaded.summary.status == "completed")
        view.show_tab("summary")
        app.processEvents()
        view.grab().save(str(out / "evaluate-summary.png"))
        view.show_tab("cases")
        view.cases.set_filter("disagreements")
        view.cases.table.selectRow(min(2, max(0, view.cases.model.rowCount() - 1)))
        app.processEvents()
        view.grab().save(str(out / "evaluate-cases.png"))
        view.close()
    context.runner.shutdown()
    context.set_project(None)
    print(f"wrote {out / 'evaluate-summary.png'} and {out / 'evaluate-cases.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "resources/screenshots"))
