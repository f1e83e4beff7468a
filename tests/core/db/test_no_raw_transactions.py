"""Services reach the database only through core/db/transactions (issue 12, section 1).

A raw ``engine.begin()``/``engine.connect()``/``Session(...)`` in a service skips the
mapping of database errors to the studio's own (busy, read-only, damaged, disk full) and
the one-transaction-per-change rule, so this test reads the source of each converted
folder and lists every such line it finds.
"""

from __future__ import annotations

import re
from pathlib import Path

import studio

STUDIO = Path(studio.__file__).resolve().parent
CORE = STUDIO / "core"

# Every room of studio/core but the persistence layer itself ("." = the modules at the top
# of studio/core).
CONVERTED = (
    ".",
    *sorted(p.name for p in CORE.iterdir() if p.is_dir() and p.name not in {"db", "__pycache__"}),
)

RAW = re.compile(r"engine\.begin\(|engine\.connect\(|engine\.raw_connection\(|\bSession\(")

# Files allowed one raw form, with the reason written in the file itself.
ALLOWED = {
    # The runner commits each result on the sqlite3 driver connection of one pooled
    # connection for speed; its errors still go through map_db_error (see its docstring).
    "studio/core/evals/store.py": "engine.raw_connection(",
}


def raw_uses(root: Path, folders: tuple[str, ...]) -> list[str]:
    """``path:line: text`` of each raw database use in ``folders`` under ``root``."""
    found: list[str] = []
    for folder in folders:
        files = root.glob("*.py") if folder == "." else (root / folder).rglob("*.py")
        for path in sorted(files):
            rel = path.relative_to(root.parent.parent).as_posix()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                match = RAW.search(line)
                if match is None or ALLOWED.get(rel) == match.group(0):
                    continue
                found.append(f"{rel}:{number}: {line.strip()}")
    return found


def test_converted_services_open_no_raw_transaction() -> None:
    offenders = raw_uses(CORE, CONVERTED)
    assert offenders == [], "raw database use outside studio/core/db:\n" + "\n".join(offenders)


def test_the_check_finds_a_raw_transaction(tmp_path: Path) -> None:
    core = tmp_path / "studio" / "core"
    (core / "evals").mkdir(parents=True)
    (core / "evals" / "bad.py").write_text(
        "def f(project):\n"
        "    with project.engine.begin() as conn:\n"
        "        conn.execute('x')\n"
        "    s = Session(project.engine)\n",
        encoding="utf-8",
    )
    (core / "evals" / "store.py").write_text(
        "proxy = project.engine.raw_connection()\n", encoding="utf-8"
    )
    assert raw_uses(core, ("evals",)) == [
        "studio/core/evals/bad.py:2: with project.engine.begin() as conn:",
        "studio/core/evals/bad.py:4: s = Session(project.engine)",
    ]
