"""The views of the main window's navigation: one line registers a view.

A view is any QWidget built by ``factory(context)``; a ``"module.path:ClassName"``
factory is imported only when the view is first shown, so start-up pays only for the
Prompts view. What a view may define is listed in :mod:`studio.ui.main_window`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QWidget

from studio.ui.context import AppContext

ViewFactory = Callable[[AppContext], QWidget]


@dataclass(frozen=True)
class ViewSpec:
    """One entry of the navigation.

    Attributes:
        name: stable id used by ``navigate_requested`` ("prompts", "datasets", ...).
        title: what the navigation shows.
        icon: an icon name in ``resources/icons`` (without ``.svg``) or a QIcon.
        factory: ``factory(context) -> QWidget``, or ``"module.path:ClassName"`` imported
            only when the view is first shown (keeps start-up fast).
    """

    name: str
    title: str
    icon: str | QIcon
    factory: ViewFactory | str

    def build(self, context: AppContext) -> QWidget:
        """Create the view widget (imports a ``"module:Class"`` factory now)."""
        factory = self.factory
        if isinstance(factory, str):
            module_name, _, attr = factory.partition(":")
            factory = getattr(importlib.import_module(module_name), attr)
        return factory(context)


VIEWS: dict[str, ViewSpec] = {}
"""The registry, by name, in registration (= display) order."""


def register_view(name: str, title: str, icon: str | QIcon, factory: ViewFactory | str) -> None:
    """Add (or replace) a view in the navigation; order of registration is display order."""
    VIEWS[name] = ViewSpec(name, title, icon, factory)


def registered_views() -> list[ViewSpec]:
    """The registered views, in navigation order."""
    _register_builtin_views()
    return list(VIEWS.values())


_BUILTIN_VIEWS = (
    ("prompts", "Prompts", "studio.ui.prompts.view:PromptsView"),
    ("datasets", "Datasets", "studio.ui.datasets.view:DatasetsView"),
    ("validate", "Validate", "studio.ui.validate.view:ValidateView"),
    ("evaluate", "Evaluate", "studio.ui.evaluate.view:EvaluateView"),
    ("distil", "Distil", "studio.ui.distil.view:DistilView"),
    ("decide", "Decide", "studio.ui.decide.view:DecideView"),
)


def _register_builtin_views() -> None:
    # "module:Class" factories so that a view's module loads when it is first shown
    for name, title, factory in _BUILTIN_VIEWS:
        if name not in VIEWS:
            register_view(name, title, name, factory)
