"""Before the app writes a file or folder the user chose: never an input, ask before replacing.

The same checks as every ``-o/--output`` of the command line
(:mod:`studio.core.output_paths`): the open project and the inputs of the action are
refused with a sentence; an existing file or a folder that holds files is replaced only
after the user says so. A save dialog that returned exactly the chosen name has already
asked about replacing it, so only a name the app changed (an added suffix) is asked again.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from studio.core.errors import UserError
from studio.core.output_paths import OutputPathError, check_output_dir, check_output_file
from studio.ui.context import AppContext


def confirm_output(
    parent: QWidget,
    context: AppContext,
    path: Path,
    *,
    inputs: Iterable[Path | str | None] = (),
    folder: bool = False,
    writes: Iterable[str] = (),
    dialog_confirmed: bool = False,
) -> bool:
    """True when ``path`` may be written; refuses or asks as described in the module.

    Args:
        parent: the widget the question belongs to.
        context: the app context (the open project; errors are shown through it).
        path: the chosen file (or folder with ``folder=True``).
        inputs: files the action reads, never to be written over.
        folder: ``path`` is an output folder that receives ``writes``.
        writes: names of the files written into the folder.
        dialog_confirmed: the save dialog returned ``path`` unchanged (it has already
            asked about replacing an existing file).
    """
    current = context.project
    # a server project has no file an output could overwrite (ISSUE-14 §1)
    project = None if current is None or getattr(current, "is_server", False) else current.path
    inputs = list(inputs)
    writes = list(writes)
    try:
        if folder:
            check_output_dir(path, writes=writes, project=project, inputs=inputs, flag="The folder")
        else:
            check_output_file(path, project=project, inputs=inputs, flag="The file")
        return True
    except OutputPathError as exc:
        if exc.reason == "exists" and dialog_confirmed:
            return True
        if exc.reason not in ("exists", "not_empty"):
            context.show_error(exc)
            return False
    except UserError as exc:
        context.show_error(exc)
        return False
    if folder:
        question = (
            f"The folder {path} already holds files. Write into it anyway? Files "
            f"named {', '.join(writes)} are replaced."
            if writes
            else f"The folder {path} already holds files. Write into it anyway?"
        )
        title = "Folder Not Empty"
    else:
        question = f"{path.name} already exists in {path.parent}. Replace it?"
        title = "Replace File"
    answer = QMessageBox.question(
        parent,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes
