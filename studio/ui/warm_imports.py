"""Load a view's core code on a worker thread, never its Qt code.

Opening a project imports the other views' code ahead of their first visit so that the
visit only builds widgets (ISSUE-11 §5: no GUI-thread stall). Doing that by importing
the view modules themselves on a worker crashed the app now and then (a segmentation
fault in a PySide6 ``from PySide6.QtGui import …`` on the worker while the GUI thread
was importing other Qt code): PySide6 creates its Python types on first use, and that is
not safe from two threads at once. So the worker imports only ``studio.core`` modules,
which never import Qt (an import-linter contract in pyproject.toml keeps that true).

Which core modules a view needs is read from the sources, without importing them: the
module-level ``import``/``from`` statements of the view's module and of every
``studio.ui`` module it imports in turn. The views' own (Qt) modules are then imported
on the GUI thread while it is idle, a few milliseconds at a time, dependencies first
(:func:`import_when_idle`), so that neither opening a project nor the first visit to a
view holds the event loop for the whole import.
"""

from __future__ import annotations

import ast
import functools
import gc
import importlib
import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QTimer

import studio
from studio.ui.workers import freeze_heap

log = logging.getLogger(__name__)

_ROOT = Path(studio.__file__).resolve().parent
_UI = "studio.ui"
_CORE = "studio.core"


def _source(name: str) -> Path | None:
    """The file of module ``name`` under the ``studio`` package, without importing it."""
    parts = name.split(".")[1:]
    base = _ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_module(name: str) -> bool:
    return name.startswith("studio") and _source(name) is not None


@functools.cache
def _imports(name: str) -> tuple[str, ...]:
    """Module names a ``studio`` module imports at module level (not in functions)."""
    path = _source(name)
    if path is None:
        return ()
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return ()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.append(base)
            # ``from studio.core import datasets``: the name may be a submodule
            out.extend(f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}"))
    return tuple(out)


def core_modules_for(view_modules: list[str]) -> list[str]:
    """The ``studio.core`` modules the given ``studio.ui`` modules import, directly or
    through other ``studio.ui`` modules, in the order first met."""
    seen: set[str] = set()
    core: list[str] = []
    stack = list(reversed(view_modules))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name == _CORE or name.startswith(_CORE + "."):
            core.append(name)
        elif name == _UI or name.startswith(_UI + "."):
            stack.extend(reversed([m for m in _imports(name) if m not in seen]))
    return core


def ui_modules_for(view_modules: list[str]) -> list[str]:
    """The ``studio.ui`` modules behind the views (the views' own modules included),
    each after the ``studio.ui`` modules it imports: importing them in this order makes
    every import a small one."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        seen.add(name)
        for dep in _imports(name):
            if dep not in seen and (dep == _UI or dep.startswith(_UI + ".")):
                visit(dep)
        order.append(name)

    for name in view_modules:
        if name not in seen:
            visit(name)
    return order


def import_when_idle(modules: Iterable[str], *, slice_ms: float = 6.0) -> None:
    """Import ``modules`` on the GUI thread, a slice of about ``slice_ms`` per turn of
    the event loop (call on the GUI thread). Already imported ones cost nothing; one
    that fails is left for its view to report when it is built."""
    pending = [m for m in modules if m not in sys.modules]

    def step() -> None:
        start = time.perf_counter()
        # What an import builds is never garbage; a full collection that an import's
        # allocations set off would hold the GUI thread for 50-60 ms (see freeze_heap)
        collecting = gc.isenabled()
        gc.disable()
        try:
            while pending and (time.perf_counter() - start) * 1000 < slice_ms:
                name = pending.pop(0)
                if name in sys.modules:
                    continue
                try:
                    importlib.import_module(name)
                except Exception:  # the view reports it when it is built
                    log.debug("idle import of %s failed", name, exc_info=True)
        finally:
            freeze_heap()
            if collecting:
                gc.enable()
        if pending:
            QTimer.singleShot(0, step)

    if pending:
        QTimer.singleShot(0, step)


def warm_core_imports(view_modules: list[str]) -> list[str]:
    """Import (on the calling worker thread) the core code behind ``view_modules``, and
    return the views' ``studio.ui`` modules in the order to import them on the GUI thread
    (:func:`ui_modules_for`; reading the sources is file work, kept off the GUI thread).

    Never imports a ``studio.ui`` module or Qt. A module that fails to import is left
    for the view to report when it is built.
    """
    for name in core_modules_for(view_modules):
        try:
            importlib.import_module(name)
        except Exception:  # the view reports it when it is built
            log.debug("background import of %s failed", name, exc_info=True)
        # One module's code at a time: a full garbage collection set off by the next
        # import then walks only what that import made (see freeze_heap)
        freeze_heap()
    return ui_modules_for(view_modules)
