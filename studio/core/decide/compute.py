"""One call from a project and answers to a :class:`Decision` (what the CLI and app run)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from studio.core.atomic import write_bytes_atomic
from studio.core.db.project import Project
from studio.core.decide.answers import DecisionAnswers
from studio.core.decide.decision import Decision, decide
from studio.core.decide.platforms import load_platforms
from studio.core.decide.project_evidence import gather_evidence
from studio.core.decide.report import render_html, render_markdown
from studio.core.errors import UserError
from studio.core.tokens.prices import load_price_table


def compute_decision(
    project: Project,
    answers: DecisionAnswers,
    *,
    today: date,
    dataset: str | None = None,
    prices_path: Path | None = None,
    platforms_path: Path | None = None,
) -> Decision:
    """Gather the project's evidence and decide with the dated prices and platform facts.

    Raises:
        UserError: an unknown dataset, or a price/platform file that cannot be read.
    """
    prices = load_price_table(prices_path)
    platforms = load_platforms(platforms_path)
    evidence = gather_evidence(
        project,
        dataset=dataset,
        today=today,
        current_model=answers.current_model,
        candidate_model=answers.candidate_model,
        prices=prices,
    )
    return decide(answers, evidence, prices, platforms, today)


#: Report file suffixes and the format each one gets.
REPORT_SUFFIXES: dict[str, str] = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
}


def report_format(path: Path) -> str:
    """``"html"`` or ``"markdown"`` from the file's suffix.

    Raises:
        UserError: the suffix is neither HTML nor Markdown.
    """
    kind = REPORT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UserError(
            f"Cannot tell the report format of {path}: name it .html (a self-contained page) "
            "or .md (Markdown).",
            where=str(path),
        )
    return kind


def write_report(decision: Decision, path: Path) -> str:
    """Write the decision as HTML or Markdown (by suffix) atomically; returns the format.

    The text goes to a temporary file beside ``path``, is flushed to disk and renamed
    over ``path``, so a reader never sees half a report.

    Raises:
        UserError: unknown suffix, missing folder, no permission or a full disk.
    """
    path = Path(path)
    kind = report_format(path)
    body = render_html(decision) if kind == "html" else render_markdown(decision)
    if not path.parent.is_dir():
        raise UserError(
            f"Cannot write {path}: the folder {path.parent} does not exist.", where=str(path)
        )
    write_bytes_atomic(path, body.encode("utf-8"))
    return kind
