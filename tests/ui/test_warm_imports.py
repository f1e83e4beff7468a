"""The views' code loaded ahead on a worker thread is Qt-free core code only.

Importing the view modules themselves on a worker crashed the app now and then
(a segmentation fault inside a PySide6 import on the worker while the GUI thread
imported Qt code too; seen in a test run of tests/ui/test_main_window.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from studio.ui.view_registry import registered_views
from studio.ui.warm_imports import core_modules_for

VIEW_MODULES = [
    spec.factory.partition(":")[0] for spec in registered_views() if isinstance(spec.factory, str)
]


def test_the_worker_imports_core_modules_and_never_qt_or_ui_code() -> None:
    script = textwrap.dedent(
        f"""
        import json, sys, threading
        from studio.ui.warm_imports import warm_core_imports
        before = set(sys.modules)
        worker = threading.Thread(target=warm_core_imports, args=({VIEW_MODULES!r},))
        worker.start()
        worker.join()
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    added = json.loads(out.stdout)
    assert len(VIEW_MODULES) == 6
    assert not [m for m in added if m.startswith(("PySide6", "shiboken6", "studio.ui"))]
    # the slow part behind the views was loaded: the database, formats, evals, decide code
    for needed in (
        "studio.core.db.project",
        "studio.core.formats",
        "studio.core.evals.run_setup",
        "studio.core.decide.report",
        "sqlalchemy",
    ):
        assert needed in added, needed


def test_core_modules_are_read_from_the_sources_through_ui_modules() -> None:
    found = core_modules_for(["studio.ui.validate.view"])
    assert all(m == "studio.core" or m.startswith("studio.core.") for m in found)
    # studio/ui/validate/go_to.py imports it; the view imports go_to (two ui steps away)
    assert "studio.core.formats" in found
    # every module the reader names exists (no made-up names from relative imports)
    import importlib.util

    assert all(importlib.util.find_spec(m) is not None for m in found)


def test_ui_modules_come_after_what_they_import_and_packages_load_lazily() -> None:
    from studio.ui.warm_imports import ui_modules_for

    order = ui_modules_for(VIEW_MODULES)
    assert set(VIEW_MODULES) <= set(order)
    at = {m: i for i, m in enumerate(order)}
    # the Datasets view imports its table model: the model comes first
    assert at["studio.ui.datasets.table_model"] < at["studio.ui.datasets.view"]
    # a submodule no longer drags in its package's view (each idle import stays small)
    script = (
        "import sys, studio.ui.datasets.table_model, studio.ui.validate.go_to, "
        "studio.ui.decide.form; print(sorted(m for m in sys.modules if m.endswith('.view')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
    from studio.ui.datasets import DatasetsView  # still there when asked for

    assert DatasetsView.__name__ == "DatasetsView"
