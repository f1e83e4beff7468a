"""The table model: rows deleted elsewhere become placeholders; blocks read through a
loader (off the GUI thread in the app) paint when they arrive, once per block."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from studio.core import datasets as core
from studio.core.db.project import Project
from studio.ui.datasets.table_model import COL_INPUT, COL_STATUS, ExamplesTableModel


def test_a_row_deleted_by_another_process_shows_as_deleted(project: Project) -> None:
    ds = core.list_datasets(project)[0].id
    ids = core.query_ids(project, ds)
    model = ExamplesTableModel(lambda wanted: core.fetch_rows(project, wanted))
    model.set_ids(ids)
    # Another process deletes row 3 after the id list was read (it used to raise
    # TypeError building the placeholder)
    core.delete(project, ds, [ids[3]])
    assert model.index(3, COL_INPUT).data() == "(deleted)"
    assert model.index(3, COL_STATUS).data() == "draft"
    assert model.index(2, COL_INPUT).data() == core.fetch_rows(project, [ids[2]])[0].input


def test_blocks_come_through_the_loader_and_repaint(project: Project) -> None:
    ds = core.list_datasets(project)[0].id
    ids = core.query_ids(project, ds)
    queued: list[tuple[list[int], Callable[[list[core.ExampleRow]], None]]] = []

    def loader(wanted: Sequence[int], deliver: Callable[[list[core.ExampleRow]], None]) -> None:
        queued.append((list(wanted), deliver))

    model = ExamplesTableModel(lambda wanted: core.fetch_rows(project, wanted))
    model.set_loader(loader)
    model.set_ids(ids)
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, _r=(): changed.append((a.row(), b.row())))
    # Not read yet: the cell paints empty and one block is asked for, however often
    # Qt asks for cells of that block meanwhile
    for _ in range(5):
        assert model.index(4, COL_INPUT).data() is None
        assert model.index(9, COL_INPUT).data() is None
    assert len(queued) == 1 and model.loading
    wanted, deliver = queued[0]
    assert wanted == ids[: len(wanted)] and len(wanted) > 4
    deliver(core.fetch_rows(project, wanted))
    assert not model.loading
    assert changed == [(0, len(wanted) - 1)]
    assert model.index(4, COL_INPUT).data() == core.fetch_rows(project, [ids[4]])[0].input
