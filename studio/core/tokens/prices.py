"""The dated, user-editable price table (``resources/prices.json``) and the cost rules.

Prices change on the vendor's clock, so no price or date lives in code: the table is a
JSON file with an ``as_of`` date. A user copy at ``config_dir()/prices.json`` overrides
the bundled one. The epoch and billed-token rules are the OpenAI cookbook's
(docs/formats.md §6.3) and are algorithms, so they live here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from studio.core import paths
from studio.core.errors import UserError
from studio.core.tokens.counting import ENCODINGS, strip_snapshot

# Cookbook constants (openai-cookbook Chat_finetuning_data_prep.ipynb, docs/formats.md §6.3).
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25
COOKBOOK_MAX_TOKENS_PER_EXAMPLE = 16_385

PRICE_FILE_NAME = "prices.json"


@dataclass(frozen=True)
class ModelPrice:
    """Prices (per 1M tokens, table currency) and limits of one model; None = unknown."""

    model: str
    provider: str
    input_per_1m: float | None
    output_per_1m: float | None
    training_per_1m: float | None
    max_example_tokens: int | None
    encoding: str | None
    fine_tunable: bool
    notes: str
    # Additions beyond the base record:
    ft_input_per_1m: float | None = None
    ft_output_per_1m: float | None = None
    training_per_hour: float | None = None
    snapshot: str | None = None


@dataclass(frozen=True)
class PriceTable:
    """A loaded price table."""

    as_of: date
    currency: str
    models: dict[str, ModelPrice]
    dates: dict[str, date]
    raw: dict[str, Any] = field(repr=False)
    path: Path | None = None

    @property
    def defaults(self) -> dict[str, Any]:
        """The ``defaults`` section (epochs, min_examples, ...)."""
        section = self.raw.get("defaults", {})
        return dict(section) if isinstance(section, dict) else {}

    def get(self, model: str) -> ModelPrice | None:
        """The entry of ``model``, also for dated snapshots and ``ft:`` fine-tune names.

        ``gpt-4o-mini-2024-07-18`` and ``ft:gpt-4o-mini-2024-07-18:org::abc`` both resolve to
        ``gpt-4o-mini`` unless the table has an entry under the exact name.
        """
        if model in self.models:
            return self.models[model]
        lowered = model.strip().lower()
        for key in (lowered, strip_snapshot(model)):
            if key in self.models:
                return self.models[key]
        for entry in self.models.values():
            if entry.snapshot is not None and entry.snapshot.lower() == lowered:
                return entry
        base = lowered[3:].split(":", 1)[0] if lowered.startswith("ft:") else lowered
        if base != lowered and base in self.models:
            return self.models[base]
        return None

    def inference_cost(
        self, model: str, tokens_in: int | None, tokens_out: int | None
    ) -> float | None:
        """Cost of one call; None when a token count or a needed price is unknown.

        ``ft:`` models use the fine-tuned inference prices of their base model.
        """
        if tokens_in is None or tokens_out is None:
            return None
        entry = self.get(model)
        if entry is None:
            return None
        if model.strip().lower().startswith("ft:"):
            price_in, price_out = entry.ft_input_per_1m, entry.ft_output_per_1m
        else:
            price_in, price_out = entry.input_per_1m, entry.output_per_1m
        if price_in is None or price_out is None:
            return None
        return (tokens_in * price_in + tokens_out * price_out) / 1_000_000

    def training_cost(self, model: str, billed_tokens: int) -> float | None:
        """Training cost of ``billed_tokens`` (epochs already included); None if unpriced."""
        entry = self.get(model)
        if entry is None or entry.training_per_1m is None:
            return None
        return billed_tokens * entry.training_per_1m / 1_000_000


def default_epochs(n_examples: int) -> int:
    """Epochs OpenAI picks for ``n_epochs="auto"`` (cookbook rule, docs/formats.md §6.3).

    3 epochs, raised so that examples × epochs reaches 100 (at most 25) and lowered so it
    stays under 25,000 (at least 1). An empty dataset gets the target 3.
    """
    if n_examples <= 0:
        return TARGET_EPOCHS
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return TARGET_EPOCHS


def billed_training_tokens(
    example_tokens: Iterable[int],
    *,
    max_tokens_per_example: int = COOKBOOK_MAX_TOKENS_PER_EXAMPLE,
    epochs: int | None = None,
) -> int:
    """Tokens billed for training: epochs × Σ min(limit, tokens of each example).

    ``epochs`` None = :func:`default_epochs` of the number of examples. Use the model's
    own per-example limit (65,536 / 32,768) for current models; 16,385 is the cookbook's.
    """
    n = 0
    clipped = 0
    for tokens in example_tokens:
        n += 1
        clipped += min(max_tokens_per_example, tokens)
    n_epochs = default_epochs(n) if epochs is None else epochs
    return n_epochs * clipped


# ---------------------------------------------------------------------------- loading


def _fail(path: Path, what: str) -> UserError:
    return UserError(f"The price table {path} is not valid: {what}.", where=str(path))


def _opt_number(path: Path, model: str, entry: Mapping[str, Any], key: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(path, f'models["{model}"].{key} must be a number or null, not {value!r}')
    if value < 0:
        raise _fail(path, f'models["{model}"].{key} must not be negative ({value!r})')
    return float(value)


def _parse_date(path: Path, where: str, value: Any) -> date:
    if not isinstance(value, str):
        raise _fail(path, f"{where} must be a date string YYYY-MM-DD, not {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(path, f"{where} must be a date YYYY-MM-DD, not {value!r}") from None


def _parse_model(path: Path, name: str, entry: Any) -> ModelPrice:
    if not isinstance(entry, dict):
        raise _fail(path, f'models["{name}"] must be an object')
    provider = entry.get("provider")
    if not isinstance(provider, str) or not provider:
        raise _fail(path, f'models["{name}"].provider must be a non-empty string')
    max_tokens = entry.get("max_example_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens <= 0
    ):
        raise _fail(
            path,
            f'models["{name}"].max_example_tokens must be a positive integer '
            f"or null, not {max_tokens!r}",
        )
    encoding = entry.get("encoding")
    if encoding is not None and encoding not in ENCODINGS:
        raise _fail(
            path,
            f'models["{name}"].encoding must be one of {", ".join(ENCODINGS)} '
            f"or null, not {encoding!r}",
        )
    fine_tunable = entry.get("fine_tunable", False)
    if not isinstance(fine_tunable, bool):
        raise _fail(path, f'models["{name}"].fine_tunable must be true or false')
    notes = entry.get("notes", "")
    if not isinstance(notes, str):
        raise _fail(path, f'models["{name}"].notes must be a string')
    snapshot = entry.get("snapshot")
    if snapshot is not None and not isinstance(snapshot, str):
        raise _fail(path, f'models["{name}"].snapshot must be a string')
    # Keyword-argument constructor: pairs by shape with itself and evals summary's records in
    # the duplicates report; nothing to share.
    return ModelPrice(
        model=name,
        provider=provider,
        input_per_1m=_opt_number(path, name, entry, "input_per_1m"),
        output_per_1m=_opt_number(path, name, entry, "output_per_1m"),
        training_per_1m=_opt_number(path, name, entry, "training_per_1m"),
        max_example_tokens=max_tokens,
        encoding=encoding,
        fine_tunable=fine_tunable,
        notes=notes,
        ft_input_per_1m=_opt_number(path, name, entry, "ft_input_per_1m"),
        ft_output_per_1m=_opt_number(path, name, entry, "ft_output_per_1m"),
        training_per_hour=_opt_number(path, name, entry, "training_per_hour"),
        snapshot=snapshot,
    )


def parse_price_table(raw: Any, path: Path) -> PriceTable:
    """Check and convert the parsed JSON of a price table; UserError names the field."""
    if not isinstance(raw, dict):
        raise _fail(path, "the top level must be a JSON object")
    as_of = _parse_date(path, "as_of", raw.get("as_of"))
    currency = raw.get("currency")
    if not isinstance(currency, str) or not currency:
        raise _fail(path, 'currency must be a non-empty string such as "USD"')
    models_raw = raw.get("models")
    if not isinstance(models_raw, dict):
        raise _fail(path, "models must be an object mapping model names to entries")
    models = {name: _parse_model(path, name, entry) for name, entry in models_raw.items()}
    dates_raw = raw.get("dates", {})
    if not isinstance(dates_raw, dict):
        raise _fail(path, "dates must be an object mapping names to YYYY-MM-DD dates")
    dates = {k: _parse_date(path, f'dates["{k}"]', v) for k, v in dates_raw.items()}
    defaults = raw.get("defaults", {})
    if not isinstance(defaults, dict):
        raise _fail(path, "defaults must be an object")
    for key in ("epochs", "min_examples"):
        value = defaults.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise _fail(path, f"defaults.{key} must be a non-negative integer, not {value!r}")
    return PriceTable(
        as_of=as_of, currency=currency, models=models, dates=dates, raw=raw, path=path
    )


def default_price_path() -> Path:
    """The user copy in the config folder if present, else the bundled table."""
    user_copy = paths.config_dir() / PRICE_FILE_NAME
    if user_copy.is_file():
        return user_copy
    return paths.resources_dir() / PRICE_FILE_NAME


def load_price_table(path: Path | None = None) -> PriceTable:
    """Load a price table (default: :func:`default_price_path`).

    Raises:
        UserError: the file is missing, unreadable, not JSON, or a field is malformed;
            the message names the file and the field.
    """
    target = default_price_path() if path is None else path
    try:
        text = target.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"The price table {target} does not exist.", where=str(target)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"The price table {target} cannot be read: {exc}.", where=str(target)
        ) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"The price table {target} is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}.",
            where=f"{target}:{exc.lineno}",
        ) from None
    return parse_price_table(raw, target)
