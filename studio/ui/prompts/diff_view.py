"""Side-by-side diff of two prompt versions.

Key-level changes (model, parameters, schema, tools) come first as sentences from the
core ("temperature 0.2 → 0.7", "required field `email` removed"); then each message
that changed is shown old | new with removed words struck through in red and added
words in green (word-level operations computed by the core).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from studio.ui.widgets.messages_editor import role_colour

DEL_STYLE = "background-color:#ffd8d8; color:#a61e1e; text-decoration:line-through;"
ADD_STYLE = "background-color:#c9f2d0; color:#1b6b2d;"
AREA_TITLES = {
    "model": "Model",
    "params": "Parameters",
    "response_schema": "Response schema",
    "tools": "Tools",
}


def _esc(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def side_by_side(m: Any) -> tuple[str, str]:
    """(old HTML, new HTML) of one ``MessageDiff`` with its word changes marked."""
    if m.status == "added":
        return "", f"<span style='{ADD_STYLE}'>{_esc(m.text_b)}</span>"
    if m.status == "removed":
        return f"<span style='{DEL_STYLE}'>{_esc(m.text_a)}</span>", ""
    left: list[str] = []
    right: list[str] = []
    for op in m.ops:
        old = m.text_a[op.a_start : op.a_end]
        new = m.text_b[op.b_start : op.b_end]
        if op.tag == "equal":
            left.append(_esc(old))
            right.append(_esc(new))
            continue
        if old:
            left.append(f"<span style='{DEL_STYLE}'>{_esc(old)}</span>")
        if new:
            right.append(f"<span style='{ADD_STYLE}'>{_esc(new)}</span>")
    return "".join(left), "".join(right)


def diff_html(diff: Any, label_a: str, label_b: str, *, show_unchanged: bool = False) -> str:
    """The whole comparison as HTML for a QTextBrowser."""
    out: list[str] = [
        f"<h3 style='margin:0 0 6px 0'>{html.escape(label_a)} → {html.escape(label_b)}</h3>"
    ]
    if diff.is_empty:
        out.append("<p>The two versions have the same content.</p>")
        return "".join(out)
    if diff.changes:
        out.append("<p style='margin:6px 0 2px 0'><b>Settings</b></p><ul style='margin-top:0'>")
        for change in diff.changes:
            colour = {"added": "#1b6b2d", "removed": "#a61e1e"}.get(change.kind, "#1864ab")
            area = AREA_TITLES.get(change.area, change.area)
            out.append(
                f"<li><span style='color:gray'>{area}:</span> "
                f"<span style='color:{colour}'>{html.escape(change.text)}</span></li>"
            )
        out.append("</ul>")
    changed = [m for m in diff.messages if show_unchanged or m.status != "unchanged"]
    unchanged = sum(1 for m in diff.messages if m.status == "unchanged")
    if changed:
        out.append("<p style='margin:8px 0 4px 0'><b>Messages</b></p>")
        out.append(
            "<table width='100%' cellspacing='0' cellpadding='6' "
            "style='border-collapse:collapse; border:1px solid #ced4da'>"
            "<tr style='background:#f1f3f5'>"
            f"<th width='50%' align='left'>{html.escape(label_a)}</th>"
            f"<th width='50%' align='left'>{html.escape(label_b)}</th></tr>"
        )
        for m in changed:
            role = m.role_b or m.role_a or ""
            head = f"{m.label} {m.status}"
            if m.role_changed:
                head += f" (role {m.role_a} → {m.role_b})"
            out.append(
                f"<tr style='background:#f8f9fa'><td colspan='2'>"
                f"<b style='color:{role_colour(role)}'>{html.escape(head)}</b></td></tr>"
            )
            left, right = side_by_side(m)
            out.append(
                "<tr>"
                "<td valign='top' style='font-family:monospace; border-right:1px solid #ced4da'>"
                f"{left}</td>"
                f"<td valign='top' style='font-family:monospace'>{right}</td>"
                "</tr>"
            )
        out.append("</table>")
    if unchanged and not show_unchanged:
        noun = "message" if unchanged == 1 else "messages"
        out.append(f"<p style='color:gray'>{unchanged} {noun} unchanged.</p>")
    return "".join(out)


class DiffView(QWidget):
    """Shows a ``PromptDiff`` (or a hint when fewer than two versions are selected)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.browser = QTextBrowser()
        self.browser.setObjectName("diffBrowser")
        self.browser.setOpenLinks(False)
        layout.addWidget(self.browser)
        self.diff: Any = None
        self.show_hint(
            "Select a version to see what it changed, or two versions (Ctrl+click) to compare them."
        )

    def show_hint(self, text: str) -> None:
        """A grey sentence instead of a diff."""
        self.diff = None
        self.browser.setHtml(f"<p style='color:gray; margin:12px'>{html.escape(text)}</p>")

    def show_diff(self, diff: Any, label_a: str, label_b: str) -> None:
        """Show the differences from ``label_a`` to ``label_b``."""
        self.diff = diff
        self.browser.setHtml(diff_html(diff, label_a, label_b))

    def text(self) -> str:
        """What the view shows, as plain text (tests)."""
        return self.browser.toPlainText()
