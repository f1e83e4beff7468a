"""A user's search regex, written for Python's ``re``, spelled for PostgreSQL.

The dataset search takes Python regular expressions (SQLite runs them through ``re``,
see :mod:`studio.core.db.engine`). PostgreSQL's ``~*`` runs POSIX "advanced" regular
expressions, which agree on almost everything a search uses (``\\d \\w \\s``, classes,
groups, ``(?:…)``, lookahead and lookbehind, ``{m,n}``, lazy quantifiers) but not on a
few spellings. Left as they are, those would not fail: they would quietly match
something else, and the same search would show different rows on a server project.
So the few that differ are rewritten, and the ones PostgreSQL cannot run are refused
with a clear message:

* ``\\b`` / ``\\B`` (word boundary / not one) are ``\\y`` / ``\\Y`` there; PostgreSQL
  reads ``\\b`` as a backspace character.
* ``(?P<name>…)`` is a plain group there (names are not needed to match).
* ``(?i:…)`` is a plain group: the search is case-insensitive as a whole already.
* Refused: named back-references ``(?P=name)``, atomic groups ``(?>…)``, possessive
  quantifiers (``*+ ++ ?+``), conditionals ``(?(1)…)`` and scoped flags other than ``i``.

Inside a bracket class everything is left alone (``[\\b]`` is a backspace in both).
"""

from __future__ import annotations

from studio.core.errors import ValidationError

_REFUSED = "is not supported in a search on a server (PostgreSQL) project"


def _refuse(what: str) -> ValidationError:
    return ValidationError(f"The search pattern's {what} {_REFUSED}.", where="search")


def postgres_regex(pattern: str) -> str:
    """``pattern`` (a valid Python regex) rewritten to match the same on PostgreSQL.

    Raises:
        ValidationError: the pattern uses a construct PostgreSQL cannot run
            (``where="search"``).
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if not in_class and nxt in "bB":
                out.append("\\y" if nxt == "b" else "\\Y")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if in_class:
            # "]" right after "[" or "[^" is a literal member, not the end of the class
            if ch == "]" and not (out[-1] == "[" or (out[-1] == "^" and out[-2] == "[")):
                in_class = False
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            continue
        if ch in "*+?}" and i + 1 < n and pattern[i + 1] == "+":
            raise _refuse(f"possessive quantifier {ch}+")
        if pattern.startswith("(?", i):
            rest = pattern[i + 2 :]
            if rest.startswith("P<"):
                end = pattern.index(">", i)
                out.append("(")
                i = end + 1
                continue
            if rest.startswith("P="):
                raise _refuse("named back-reference (?P=…)")
            if rest.startswith(">"):
                raise _refuse("atomic group (?>…)")
            if rest.startswith("("):
                raise _refuse("conditional group (?(…)…)")
            flags, _, tail = rest.partition(":")
            if tail and flags and flags.replace("-", "").isalpha() and "=" not in flags:
                if flags.strip("i"):
                    raise _refuse(f"scoped flag group (?{flags}:…)")
                out.append("(?:")
                i += 2 + len(flags) + 1
                continue
        out.append(ch)
        i += 1
    return "".join(out)
