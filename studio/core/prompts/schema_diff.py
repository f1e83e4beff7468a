"""Key-level changes of the response JSON Schema and the tools between two prompt versions
("required field `email` removed", "property `age` type integer → string").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio.core.prompts.changes import Area, Change, ChangeKind, fmt_value

_SCHEMA_HANDLED = {"type", "properties", "required", "items", "enum", "description", "$defs"}


def _type_words(schema: Any) -> str:
    if not isinstance(schema, Mapping):
        return fmt_value(schema)
    t = schema.get("type")
    if isinstance(t, list):
        return " or ".join(str(x) for x in t)
    if isinstance(t, str):
        return t
    return "schema"


def _as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_list(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def _presence(a: Mapping[str, Any], b: Mapping[str, Any], key: str) -> ChangeKind:
    if key not in a:
        return "added"
    if key not in b:
        return "removed"
    return "changed"


def _subject(path: str, noun: str) -> str:
    return f"{noun} `{path}`" if path else "the root"


def schema_changes(
    a: Any,
    b: Any,
    *,
    path: str = "",
    noun: str = "property",
    area: Area = "response_schema",
    prefix: str = "",
) -> list[Change]:
    """Worded changes between two JSON Schemas (properties, required, types, enums, ...)."""
    if a == b:
        return []
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        return [
            Change(
                area,
                path or "/",
                "changed",
                f"{prefix}{_subject(path, noun)} schema {fmt_value(a)} → {fmt_value(b)}",
                old=a,
                new=b,
            )
        ]
    out: list[Change] = []
    subject = _subject(path, noun)

    def add(key: str, kind: ChangeKind, text: str, old: Any = None, new: Any = None) -> None:
        out.append(Change(area, key or "/", kind, prefix + text, old=old, new=new))

    if a.get("type") != b.get("type"):
        if "type" not in a:
            add(path, "added", f"{subject} type added: {_type_words(b)}", new=b.get("type"))
        elif "type" not in b:
            add(
                path, "removed", f"{subject} type removed (was {_type_words(a)})", old=a.get("type")
            )
        else:
            add(
                path,
                "changed",
                f"{subject} type {_type_words(a)} → {_type_words(b)}",
                old=a.get("type"),
                new=b.get("type"),
            )
    if a.get("description") != b.get("description"):
        what = _presence(a, b, "description")
        add(
            path,
            what,
            f"description of {subject} {what}",
            old=a.get("description"),
            new=b.get("description"),
        )

    join = (lambda n: f"{path}.{n}") if path else (lambda n: n)
    pa = _as_map(a.get("properties"))
    pb = _as_map(b.get("properties"))
    for name in [*pa, *(n for n in pb if n not in pa)]:
        p = join(name)
        if name not in pb:
            add(p, "removed", f"{noun} `{p}` removed", old=pa[name])
        elif name not in pa:
            add(p, "added", f"{noun} `{p}` added ({_type_words(pb[name])})", new=pb[name])
        else:
            out.extend(
                schema_changes(pa[name], pb[name], path=p, noun=noun, area=area, prefix=prefix)
            )
    if list(pa) != list(pb) and set(pa) == set(pb):
        add(
            path, "changed", f"order of the {noun} in {subject} changed", old=list(pa), new=list(pb)
        )

    ra = _as_list(a.get("required")) or []
    rb = _as_list(b.get("required")) or []
    for name in ra:
        if name not in rb:
            add(join(str(name)), "removed", f"required field `{join(str(name))}` removed")
    for name in rb:
        if name not in ra:
            add(join(str(name)), "added", f"required field `{join(str(name))}` added")

    if a.get("items") != b.get("items"):
        items_path = f"{path}[]" if path else "[]"
        if "items" not in a or "items" not in b:
            what = _presence(a, b, "items")
            add(
                items_path,
                what,
                f"items of {subject} {what}",
                old=a.get("items"),
                new=b.get("items"),
            )
        else:
            out.extend(
                schema_changes(
                    a["items"], b["items"], path=items_path, noun=noun, area=area, prefix=prefix
                )
            )

    ea = _as_list(a.get("enum"))
    eb = _as_list(b.get("enum"))
    if ea != eb:
        if ea is None or eb is None:
            what = "added" if ea is None else "removed"
            add(path, what, f"enum of {subject} {what}", old=ea, new=eb)
        else:
            for v in ea:
                if v not in eb:
                    add(path, "removed", f"{subject} value {fmt_value(v)} removed", old=v)
            for v in eb:
                if v not in ea:
                    add(path, "added", f"{subject} value {fmt_value(v)} added", new=v)

    da = _as_map(a.get("$defs"))
    db = _as_map(b.get("$defs"))
    for name in [*da, *(n for n in db if n not in da)]:
        if name not in db:
            add(f"$defs.{name}", "removed", f"definition `{name}` removed", old=da[name])
        elif name not in da:
            add(f"$defs.{name}", "added", f"definition `{name}` added", new=db[name])
        else:
            out.extend(
                schema_changes(
                    da[name],
                    db[name],
                    path=f"$defs.{name}",
                    noun="definition",
                    area=area,
                    prefix=prefix,
                )
            )

    for key in [*a, *(k for k in b if k not in a)]:
        if key in _SCHEMA_HANDLED:
            continue
        where = f"{subject} {key}"
        if key not in b:
            add(path, "removed", f"{where} removed (was {fmt_value(a[key])})", old=a[key])
        elif key not in a:
            add(path, "added", f"{where} added: {fmt_value(b[key])}", new=b[key])
        elif a[key] != b[key]:
            add(
                path,
                "changed",
                f"{where} {fmt_value(a[key])} → {fmt_value(b[key])}",
                old=a[key],
                new=b[key],
            )
    return out


# -- tools ----------------------------------------------------------------------------


def _tools_by_name(tools: list[dict[str, Any]] | None) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for i, tool in enumerate(tools or []):
        fn = tool.get("function") if isinstance(tool, Mapping) else None
        name = fn.get("name") if isinstance(fn, Mapping) else None
        out[name if isinstance(name, str) else f"#{i}"] = fn if isinstance(fn, Mapping) else {}
    return out


def tools_changes(a: list[dict[str, Any]] | None, b: list[dict[str, Any]] | None) -> list[Change]:
    """Worded changes between two tool lists, matched by function name."""
    if a == b:
        return []
    ta, tb = _tools_by_name(a), _tools_by_name(b)
    out: list[Change] = []
    for name in [*ta, *(n for n in tb if n not in ta)]:
        if name not in tb:
            out.append(Change("tools", name, "removed", f"tool `{name}` removed", old=ta[name]))
            continue
        if name not in ta:
            out.append(Change("tools", name, "added", f"tool `{name}` added", new=tb[name]))
            continue
        fa, fb = ta[name], tb[name]
        if fa.get("description") != fb.get("description"):
            out.append(
                Change(
                    "tools",
                    name,
                    "changed",
                    f"tool `{name}` description changed",
                    old=fa.get("description"),
                    new=fb.get("description"),
                )
            )
        if fa.get("strict") != fb.get("strict"):
            out.append(
                Change(
                    "tools",
                    name,
                    "changed",
                    f"tool `{name}` strict {fmt_value(fa.get('strict'))} → "
                    f"{fmt_value(fb.get('strict'))}",
                    old=fa.get("strict"),
                    new=fb.get("strict"),
                )
            )
        if fa.get("parameters") != fb.get("parameters"):
            if "parameters" not in fa or "parameters" not in fb:
                what: ChangeKind = "added" if "parameters" not in fa else "removed"
                out.append(
                    Change(
                        "tools",
                        name,
                        what,
                        f"tool `{name}` parameters {what}",
                        old=fa.get("parameters"),
                        new=fb.get("parameters"),
                    )
                )
            else:
                out.extend(
                    # Same add-or-recurse step as schema_changes' items branch (duplicates
                    # report), with the tool's own path and text.
                    schema_changes(
                        fa["parameters"],
                        fb["parameters"],
                        noun="parameter",
                        area="tools",
                        prefix=f"tool `{name}`: ",
                    )
                )
    if set(ta) == set(tb) and list(ta) != list(tb):
        out.append(Change("tools", "", "changed", "tools reordered", old=list(ta), new=list(tb)))
    return out


# -- whole prompt ---------------------------------------------------------------------
