"""The task runner freezes the heap after a task that loaded code (ISSUE-11 §5).

A full garbage collection walks every tracked object while holding the GIL; with the
app's code loaded that froze the GUI thread ~60 ms when a worker's imports set one off
(benchmarks/bench_gui_stall.py). After a task that imported modules, what was alive is
frozen (``gc.freeze``), so later collections skip it; garbage made afterwards is still
collected, and a task that imports nothing freezes nothing.
"""

from __future__ import annotations

import gc
import importlib
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from studio.ui.context import AppContext


@pytest.fixture
def fresh_module(tmp_path: Path) -> Iterator[str]:
    """The name of a module on sys.path that nothing has imported yet."""
    name = f"heap_probe_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text("TABLE = {i: [i] for i in range(100)}\n", "utf-8")
    sys.path.insert(0, str(tmp_path))
    yield name
    sys.path.remove(str(tmp_path))
    sys.modules.pop(name, None)


def _tracked(obj: object) -> bool:
    """True when ``obj`` is still in a generation the cyclic collector walks."""
    return any(o is obj for o in gc.get_objects())


def test_a_task_that_imports_code_freezes_what_is_alive(
    qtbot: object,
    context: AppContext,
    wait_idle: Callable[[AppContext], None],
    fresh_module: str,
) -> None:
    before = [["made before the task"]]  # a tracked container
    assert _tracked(before)
    context.runner.run(lambda: importlib.import_module(fresh_module), db=False)
    wait_idle(context)
    assert fresh_module in sys.modules
    assert not _tracked(before), "objects alive before the import were not frozen"
    assert not _tracked(sys.modules[fresh_module].TABLE), "the imported module's data is walked"


def test_garbage_made_after_the_freeze_is_still_collected(
    qtbot: object,
    context: AppContext,
    wait_idle: Callable[[AppContext], None],
    fresh_module: str,
) -> None:
    context.runner.run(lambda: importlib.import_module(fresh_module), db=True)
    wait_idle(context)
    cycle: list[object] = []
    cycle.append(cycle)
    probe = id(cycle)
    del cycle
    assert gc.collect() >= 1
    assert not any(id(o) == probe for o in gc.get_objects())


def test_a_task_that_imports_nothing_freezes_nothing(
    qtbot: object,
    context: AppContext,
    wait_idle: Callable[[AppContext], None],
    fresh_module: str,
) -> None:
    context.runner.run(lambda: importlib.import_module(fresh_module), db=False)
    wait_idle(context)
    frozen = gc.get_freeze_count()
    after = [["made after the freeze"]]
    context.runner.run(lambda: sum(range(1000)), db=True)
    wait_idle(context)
    assert gc.get_freeze_count() == frozen
    assert _tracked(after)
