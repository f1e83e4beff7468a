"""Every document a comment or docstring cites is in the repository.

Comments explain why and cite their sources; a citation of a file that lives only in a
team folder (or was renamed) leaves the next engineer nothing to read. This walks the
comments and docstrings of every Python file (and the prose of every Markdown file) under
studio/, tests/, benchmarks/ and packaging/, collects each ``*.md`` it names, and checks
that the file exists: at that path from the repository root or from the citing file's
folder, or, for a bare name such as ``ATTRIBUTION.md``, somewhere in the repository.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("studio", "tests", "benchmarks", "packaging")
PYTHON_SUFFIXES = {".py", ".spec"}
SKIP_DIRS = {"__pycache__", ".venv", "build", "dist"}
#: A cited Markdown file: an optional folder path, then a name ending in .md.
CITATION = re.compile(r"(?<![\w./*-])((?:[\w.-]+/)*[\w-][\w.-]*\.md)\b")
#: Names that appear in usage examples as files the user writes, not as documents cited.
EXAMPLE_OUTPUTS = {"report.md"}


@cache
def _files() -> list[Path]:
    out: list[Path] = []
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*")):
            if not path.is_file() or SKIP_DIRS.intersection(path.relative_to(REPO).parts):
                continue
            if path.suffix in PYTHON_SUFFIXES or path.suffix == ".md":
                out.append(path)
    return out


def _docstrings(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                texts.append(doc)
    return texts


def _comments(source: str) -> list[str]:
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out.append(tok.string)
    return out


@cache
def _prose(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return [text]
    return _comments(text) + _docstrings(text)


def citations() -> dict[Path, set[str]]:
    """Each file that cites Markdown documents, with the names it cites."""
    found: dict[Path, set[str]] = {}
    for path in _files():
        names = {m.group(1) for text in _prose(path) for m in CITATION.finditer(text)}
        names -= EXAMPLE_OUTPUTS
        if names:
            found[path] = names
    return found


def _exists(name: str, citing: Path, basenames: set[str]) -> bool:
    if "/" not in name:
        return name in basenames
    return (REPO / name).is_file() or (citing.parent / name).is_file()


def test_every_cited_document_is_in_the_repository() -> None:
    basenames = {p.name for p in REPO.glob("*.md")}
    for folder in (*ROOTS, "docs", "resources"):
        basenames |= {p.name for p in (REPO / folder).rglob("*.md")}
    found = citations()
    missing = sorted(
        f"{path.relative_to(REPO)}: {name}"
        for path, names in found.items()
        for name in sorted(names)
        if not _exists(name, path, basenames)
    )
    assert not missing, "documents cited but not in the repository:\n" + "\n".join(missing)


def test_the_docs_the_code_rests_on_are_cited() -> None:
    # The walk must see the citations it is meant to check (a broken pattern finds none).
    cited = {name for names in citations().values() for name in names}
    assert {"docs/formats.md", "docs/engineering-facts.md", "docs/decision-facts.md"} <= cited


#: The team folder's notes, cited by name alone (``engineering-facts §4``) before the
#: repository had its own docs/; a citation must now be a repository path.
BARE_TEAM_NOTE = re.compile(
    r"(?<![\w/.-])(engineering-facts|why-this-studio-exists|codebases-to-learn-from|"
    r"where-to-train|peers\.md|formats\.md|architecture\.md)"
)


def test_no_citation_by_bare_team_note_name() -> None:
    bare = sorted(
        f"{path.relative_to(REPO)}: {m.group(0)}"
        for path in _files()
        if path != Path(__file__).resolve()
        for text in _prose(path)
        for m in BARE_TEAM_NOTE.finditer(text)
    )
    assert not bare, "cite docs/<name>.md instead:\n" + "\n".join(bare)
