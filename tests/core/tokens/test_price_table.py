"""The dated price table, its loader's error messages and the cookbook cost rules."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from studio.core import paths
from studio.core.errors import UserError
from studio.core.tokens.prices import (
    PriceTable,
    billed_training_tokens,
    default_epochs,
    load_price_table,
)


@pytest.fixture
def table() -> PriceTable:
    return load_price_table(paths.resources_dir() / "prices.json")


def test_bundled_table_is_dated_and_has_the_sourced_training_prices(table: PriceTable) -> None:
    assert table.currency == "USD"
    assert table.as_of <= date.today()
    expected = {
        "gpt-4.1": 25.0,
        "gpt-4.1-mini": 5.0,
        "gpt-4.1-nano": 1.5,
        "gpt-4o": 25.0,
        "gpt-4o-mini": 3.0,
        "gpt-3.5-turbo": 8.0,
    }
    for model, price in expected.items():
        entry = table.get(model)
        assert entry is not None and entry.training_per_1m == price
        assert entry.fine_tunable
    assert table.get("gpt-4.1-nano").max_example_tokens == 32768  # type: ignore[union-attr]
    assert table.get("gpt-4o-mini").max_example_tokens == 65536  # type: ignore[union-attr]
    assert table.dates["openai_finetuning_new_jobs_end"] == date(2027, 1, 6)
    assert table.defaults["epochs"] == 3 and table.defaults["min_examples"] == 10
    # Every unsourced number says so.
    for entry in table.models.values():
        if entry.provider == "openai" and entry.input_per_1m is not None:
            assert "assumed, edit me" in entry.notes or "sourced" in entry.notes


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("ft:gpt-4o-mini-2024-07-18:my-org::9abcDEF", "gpt-4o-mini"),
        ("ft:gpt-4.1-nano-2025-04-14:org:custom-suffix:id", "gpt-4.1-nano"),
        ("GPT-4.1", "gpt-4.1"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("o4-mini-2025-04-16", "o4-mini"),
    ],
)
def test_get_resolves_snapshots_and_fine_tunes(table: PriceTable, name: str, base: str) -> None:
    entry = table.get(name)
    assert entry is not None and entry.model == base


def test_get_unknown_is_none(table: PriceTable) -> None:
    assert table.get("llama-3-70b") is None


def test_inference_cost(table: PriceTable) -> None:
    # fine-tuned gpt-4o-mini: $0.30 in / $1.20 out per 1M (docs/formats.md §7)
    cost = table.inference_cost("ft:gpt-4o-mini-2024-07-18:org::x", 1_000_000, 500_000)
    assert cost == pytest.approx(0.30 + 0.60)
    assert table.inference_cost("gpt-4o-mini", None, 10) is None
    assert table.inference_cost("gpt-4o-mini", 10, None) is None
    assert table.inference_cost("unknown-model", 10, 10) is None
    assert table.inference_cost("gemini-2.5-flash", 10, 10) is None  # no price in our notes


def test_training_cost_matches_formats_md_worked_example(table: PriceTable) -> None:
    # 1,000 examples x 500 tokens x 3 epochs = 1.5M tokens (docs/formats.md §6.3)
    billed = billed_training_tokens([500] * 1000, max_tokens_per_example=65536)
    assert billed == 1_500_000
    assert table.training_cost("gpt-4o-mini", billed) == pytest.approx(4.50)
    assert table.training_cost("gpt-4.1-mini", billed) == pytest.approx(7.50)
    assert table.training_cost("gpt-4.1-nano", billed) == pytest.approx(2.25)
    assert table.training_cost("gpt-4o", billed) == pytest.approx(37.50)
    assert table.training_cost("gpt-4.1", billed) == pytest.approx(37.50)
    assert table.training_cost("o4-mini", billed) is None  # billed per hour


@pytest.mark.parametrize(
    ("n", "epochs"),
    [
        (1, 25),
        (5, 20),
        (10, 10),
        (33, 3),
        (34, 3),
        (1000, 3),
        (8333, 3),
        (8334, 2),
        (10_000, 2),
        (20_000, 1),
        (1_000_000, 1),
        (0, 3),
    ],
)
def test_default_epochs_cookbook_rule(n: int, epochs: int) -> None:
    assert default_epochs(n) == epochs


def test_billed_tokens_clip_each_example_and_use_default_epochs() -> None:
    # 5 examples -> 20 epochs; each example clipped at the limit.
    assert billed_training_tokens(
        [100, 200, 20_000, 300, 400], max_tokens_per_example=16_385
    ) == 20 * (1000 + 16_385)
    assert billed_training_tokens([100] * 40, epochs=2) == 8000
    assert billed_training_tokens([]) == 0


def test_user_copy_in_config_dir_wins(tmp_path: Path) -> None:
    bundled = json.loads((paths.resources_dir() / "prices.json").read_text(encoding="utf-8"))
    bundled["as_of"] = "2030-01-02"
    bundled["models"]["gpt-4o-mini"]["training_per_1m"] = 99.0
    (paths.config_dir() / "prices.json").write_text(json.dumps(bundled), encoding="utf-8")
    table = load_price_table()
    assert table.as_of == date(2030, 1, 2)
    assert table.training_cost("gpt-4o-mini", 1_000_000) == pytest.approx(99.0)
    assert table.path == paths.config_dir() / "prices.json"


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _valid() -> dict[str, Any]:
    return {
        "as_of": "2026-08-21",
        "currency": "USD",
        "models": {
            "m": {
                "provider": "openai",
                "input_per_1m": 1,
                "output_per_1m": 2,
                "training_per_1m": 3,
                "max_example_tokens": 100,
                "encoding": "o200k_base",
                "fine_tunable": True,
                "notes": "",
            }
        },
    }


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("as_of"), "as_of"),
        (lambda d: d.update(as_of="21/08/2026"), "as_of"),
        (lambda d: d.update(currency=""), "currency"),
        (lambda d: d.update(models=[]), "models"),
        (
            lambda d: d["models"]["m"].update(training_per_1m="3 dollars"),
            'models["m"].training_per_1m',
        ),
        (lambda d: d["models"]["m"].update(input_per_1m=-1), 'models["m"].input_per_1m'),
        (
            lambda d: d["models"]["m"].update(max_example_tokens=1.5),
            'models["m"].max_example_tokens',
        ),
        (lambda d: d["models"]["m"].update(encoding="gpt2"), 'models["m"].encoding'),
        (lambda d: d["models"]["m"].update(fine_tunable="yes"), 'models["m"].fine_tunable'),
        (lambda d: d["models"]["m"].pop("provider"), 'models["m"].provider'),
        (lambda d: d.update(dates={"x": "tomorrow"}), 'dates["x"]'),
        (lambda d: d.update(defaults={"epochs": -1}), "defaults.epochs"),
    ],
)
def test_malformed_table_names_file_and_field(tmp_path: Path, mutate: Any, fragment: str) -> None:
    data = _valid()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(UserError) as info:
        load_price_table(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


def test_malformed_json_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{\n  "as_of": "2026-01-01",\n  "currency": "USD",,\n}')
    with pytest.raises(UserError, match=r"not valid JSON.*line 3"):
        load_price_table(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_price_table(tmp_path / "nope.json")


def test_valid_minimal_table_loads(tmp_path: Path) -> None:
    table = load_price_table(_write(tmp_path, _valid()))
    assert table.get("m") is not None and table.inference_cost("m", 10**6, 10**6) == 3.0
