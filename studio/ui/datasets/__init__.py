"""The Datasets area of the app: table, detail editor, import, bulk actions, overview."""

from __future__ import annotations

from studio.ui.datasets.view import DatasetsView

__all__ = ["DatasetsView"]
