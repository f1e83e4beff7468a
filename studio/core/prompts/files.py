"""Prompt files for git: one version as readable JSON or YAML, and back.

Shape (the command line and tests rely on it)::

    {"name", "description", "messages": [{"role", "content"}], "model",
     "params": {...}, "response_schema": {...} | null, "tools": [...] | null}

Export → import gives the same content hash, and re-exporting gives the same bytes.
YAML is block style with multi-line message text as ``|`` blocks, so a diff in git
reads like the prompt.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from studio.core.atomic import write_bytes_atomic
from studio.core.errors import UserError, ValidationError
from studio.core.json_depth import check_text_depth, check_value_depth, too_deep_message
from studio.core.prompts.spec import PromptSpec

if TYPE_CHECKING:
    import yaml

FileFormat = Literal["json", "yaml"]
FILE_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "messages",
    "model",
    "params",
    "response_schema",
    "tools",
)


def format_for_path(path: str | Path) -> FileFormat:
    """``json`` for ``*.json``, ``yaml`` for ``*.yaml``/``*.yml``.

    Raises:
        UserError: any other suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise UserError(f"{path}: a prompt file must end in .json, .yaml or .yml.", where=str(path))


def prompt_document(name: str, description: str, spec: PromptSpec) -> dict[str, Any]:
    """The file's content as a dict with the keys in the documented order."""
    data = spec.to_json()
    return {
        "name": name,
        "description": description,
        "messages": data["messages"],
        "model": data["model"],
        "params": data["params"],
        "response_schema": data["response_schema"],
        "tools": data["tools"],
    }


# PyYAML is imported when a YAML file is written or read, not with this module: the
# prompt package is imported at start-up and YAML files are rare.
@functools.cache
def _block_dumper() -> type[yaml.SafeDumper]:
    """The YAML dumper: block style, multi-line strings as ``|`` literal blocks."""
    import yaml

    class _BlockDumper(yaml.SafeDumper):
        """Block style; multi-line strings as ``|`` literal blocks when YAML allows it."""

        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            # indent list items under their key (PyYAML's default puts "- " at the key's column)
            super().increase_indent(flow, False)

    _BlockDumper.add_representer(str, _str_representer)
    return _BlockDumper


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML falls back to a quoted style on its own when a literal block cannot hold
    # the text exactly (trailing spaces, some control characters).
    if _NEEDS_QUOTES.search(value) or (value and not value.strip()):
        # YAML 1.1 reads NEL/LS/PS and CR as line breaks; only escapes keep them exact
        style: str | None = '"'
    elif "\n" in value:
        style = "|"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_NEEDS_QUOTES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def export_prompt_file(
    name: str, description: str, spec: PromptSpec, fmt: FileFormat = "json"
) -> str:
    """The text of a prompt file (ends with a newline)."""
    doc = prompt_document(name, description, spec)
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        import yaml

        text: str = yaml.dump(
            doc,
            Dumper=_block_dumper(),
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=1_000_000,  # never fold long lines: prompts are prose
        )
        return text
    raise ValueError(f"unknown prompt file format {fmt!r}")


def parse_prompt_text(
    text: str, fmt: FileFormat, where: str = "prompt file"
) -> tuple[str, str, PromptSpec]:
    """Parse and validate prompt-file text; ``where`` names it in messages.

    Raises:
        ValidationError: a syntax error (with line and column) or a bad field.
    """
    data: Any
    if fmt == "json":
        # Same steps as decide/answers.DecisionAnswers.from_json (duplicates report) with a
        # different error class and wording (a prompt file's ValidationError, the answers
        # file's UserError); kept apart.
        check_text_depth(text, where, error=ValidationError)
        try:
            data = json.loads(text)
        except RecursionError:  # the depth check above makes this unreachable in practice
            raise ValidationError(too_deep_message(where, None), where=where) from None
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"{where}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}).",
                where=f"{where}:{exc.lineno}",
            ) from None
    else:
        import yaml

        check_text_depth(text, where, error=ValidationError)  # flow style: [[[...]]] names its line
        try:
            data = yaml.load(text, Loader=_loader())
        except RecursionError:
            raise ValidationError(too_deep_message(where, None), where=where) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ValidationError(
                f"{where}{line}: not valid YAML ({exc.problem or exc.context}).",
                where=f"{where}:{mark.line + 1}" if mark else where,
            ) from None
        except yaml.YAMLError as exc:
            raise ValidationError(f"{where}: not valid YAML ({exc}).", where=where) from None
        check_value_depth(data, where, error=ValidationError)  # block style nests by indentation
    return prompt_from_document(data, where)


def _loader() -> type[yaml.SafeLoader]:
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def prompt_from_document(data: Any, where: str = "prompt file") -> tuple[str, str, PromptSpec]:
    """Check a parsed prompt document and build its spec.

    Raises:
        ValidationError: ``<where>: field `messages[1].role` ...``.
    """
    if not isinstance(data, Mapping):
        raise ValidationError(
            f"{where}: a prompt file must hold an object with the fields {', '.join(FILE_KEYS)}.",
            where=where,
        )
    unknown = [k for k in data if k not in FILE_KEYS]
    if unknown:
        raise ValidationError(
            f"{where}: unknown field `{unknown[0]}` (a prompt file has {', '.join(FILE_KEYS)}).",
            where=f"{where}:{unknown[0]}",
        )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(
            f"{where}: field `name` must be a non-empty text.", where=f"{where}:name"
        )
    description = data.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        raise ValidationError(
            f"{where}: field `description` must be text.", where=f"{where}:description"
        )
    try:
        spec = PromptSpec.from_json({k: data[k] for k in data if k not in ("name", "description")})
        spec.validate()
    except ValidationError as exc:
        raise ValidationError(
            f"{where}: {exc.message}", where=f"{where}:{exc.where or ''}"
        ) from None
    return name, description, spec


def load_prompt_file(path: str | Path) -> tuple[str, str, PromptSpec]:
    """Read a ``.json``/``.yaml``/``.yml`` prompt file.

    Returns:
        (name, description, spec).

    Raises:
        UserError: unreadable or not UTF-8; ValidationError: bad syntax or field.
    """
    path = Path(path)
    fmt = format_for_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} does not exist.", where=str(path)) from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a prompt file.", where=str(path)) from None
    except OSError as exc:
        raise UserError(f"{path} cannot be read: {exc.strerror or exc}.", where=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start}).", where=str(path)
        ) from None
    return parse_prompt_text(text, fmt, where=str(path))


def write_prompt_file(
    path: str | Path,
    name: str,
    description: str,
    spec: PromptSpec,
    fmt: FileFormat | None = None,
) -> None:
    """Write a prompt file atomically (temporary file, then rename)."""
    path = Path(path)
    fmt = fmt or format_for_path(path)
    text = export_prompt_file(name, description, spec, fmt)
    write_bytes_atomic(path, text.encode("utf-8"))
