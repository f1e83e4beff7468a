"""Fixtures for the decision tests: a small, hand-checkable price table and platform file.

Prices are round numbers so every expected figure in the tests can be computed by hand:
``big`` costs $2 in / $8 out per 1M tokens; ``small`` tuned costs $0.80 / $3.20 and
trains at $5 per 1M; ``small-b`` (Bedrock-like) costs $0.20 / $0.80 base (×2 tuned),
trains at $4 per 1M and is hosted at $10 an hour.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

from studio.core.decide.answers import DecisionAnswers
from studio.core.decide.evidence import Evidence
from studio.core.decide.platforms import PlatformCatalog, parse_platforms
from studio.core.tokens.prices import PriceTable, parse_price_table

TODAY = date(2026, 8, 22)
AFTER_OPENAI_CUTOFF = date(2027, 2, 1)

PRICES_RAW: dict[str, Any] = {
    "schema_version": 1,
    "as_of": "2026-08-01",
    "currency": "USD",
    "dates": {"openai_finetuning_new_jobs_end": "2027-01-06"},
    "models": {
        "big": {
            "provider": "openai",
            "input_per_1m": 2.0,
            "output_per_1m": 8.0,
            "training_per_1m": None,
            "max_example_tokens": None,
            "encoding": "o200k_base",
            "fine_tunable": False,
            "notes": "test",
        },
        "small": {
            "provider": "openai",
            "input_per_1m": 0.4,
            "output_per_1m": 1.6,
            "ft_input_per_1m": 0.8,
            "ft_output_per_1m": 3.2,
            "training_per_1m": 5.0,
            "max_example_tokens": 65536,
            "encoding": "o200k_base",
            "fine_tunable": True,
            "notes": "test",
        },
        "small-g": {
            "provider": "vertex",
            "input_per_1m": 0.1,
            "output_per_1m": 0.4,
            "training_per_1m": 2.0,
            "max_example_tokens": None,
            "encoding": None,
            "fine_tunable": True,
            "notes": "test",
        },
        "small-b": {
            "provider": "bedrock",
            "input_per_1m": 0.2,
            "output_per_1m": 0.8,
            "training_per_1m": 4.0,
            "max_example_tokens": None,
            "encoding": None,
            "fine_tunable": True,
            "notes": "test",
        },
    },
}


def _platform(pid: str, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": f"{pid} tuning",
        "formats": [f"{pid}_sft"],
        "base_models": [{"id": "small", "match": ["small"], "end_date_key": None}],
        "default_small_model": None,
        "training_price": "price_table",
        "training_estimate_usd": None,
        "hosting_fee_per_hour_usd": 0,
        "hosting_note": "none",
        "inference_multiplier": {"low": 1.5, "high": 3.0, "assumed": 2.0, "source": "docs"},
        "residency": ["us"],
        "residency_note": "test",
        "max_sensitivity": "confidential",
        "sensitivity_note": "test",
        "facts": [],
    }
    base.update(over)
    return base


PLATFORMS_RAW: dict[str, Any] = {
    "schema_version": 1,
    "as_of": "2026-08-22",
    "hours_per_month": 720,
    "general_facts": [
        {
            "id": "fine_tune_dies_with_base_model",
            "date": None,
            "effect": "lock_in",
            "text": "A fine-tune dies with its base model.",
            "source": "docs",
        },
        {
            "id": "facts_not_taught_by_fine_tuning",
            "date": None,
            "effect": "info",
            "text": "Fine-tuning changes form, not knowledge.",
            "source": "docs",
        },
    ],
    "platforms": {
        "openai": _platform(
            "openai",
            facts=[
                {
                    "id": "openai_finetuning_new_jobs_end",
                    "date": "2027-01-06",
                    "effect": "no_new_jobs",
                    "text": "No new OpenAI fine-tuning jobs.",
                    "source": "deprecations page",
                }
            ],
        ),
        "vertex": _platform(
            "vertex",
            base_models=[{"id": "small-g", "match": ["small-g"], "end_date_key": None}],
            default_small_model="small-g",
            hosting_fee_per_hour_usd=None,
            hosting_note="unknown — edit me",
            residency=["us", "eu"],
        ),
        "bedrock": _platform(
            "bedrock",
            base_models=[{"id": "small-b", "match": ["small-b"], "end_date_key": None}],
            default_small_model="small-b",
            hosting_fee_per_hour_usd=10,
        ),
        "local": _platform(
            "local",
            base_models=[{"id": "open", "match": ["llama"], "end_date_key": None}],
            hosting_fee_per_hour_usd=None,
            inference_multiplier=None,
            residency=["on_prem", "eu", "us"],
            max_sensitivity="regulated",
        ),
    },
}


def make_prices(**dates: str) -> PriceTable:
    raw = copy.deepcopy(PRICES_RAW)
    raw["dates"].update(dates)
    return parse_price_table(raw, Path("test-prices.json"))


def make_catalog() -> PlatformCatalog:
    return parse_platforms(copy.deepcopy(PLATFORMS_RAW), source="test-platforms.json")


def good_evidence(**over: Any) -> Evidence:
    """Evidence of a proven prompt with ready data: 1,000 examples × 500 tokens."""
    fields: dict[str, Any] = {
        "best_prompt": "triage v7",
        "best_model": "big",
        "best_score": 0.93,
        "best_n": 300,
        "candidate_model": "small",
        "candidate_score": 0.81,
        "candidate_n": 300,
        "candidate_p_value": 0.0004,
        "approved_examples": 1000,
        "test_set_size": 300,
        "duplicates": 3,
        "leaks": 0,
        "label_counts": {"refund": 400, "card": 350, "other": 250},
        "tokens_mean_per_example": 500.0,
        "tokens_p95_per_example": 900.0,
        "validation_errors": 0,
        "validation_warnings": 2,
        "mean_input_tokens": 1000.0,
        "mean_output_tokens": 200.0,
        "cost_per_1000_tasks": 3.6,
        "latency_p95_ms": 1400.0,
        "provenance": {"best_score": "run #12 on the test split"},
    }
    fields.update(over)
    return Evidence(**fields)


def narrow_answers(**over: Any) -> DecisionAnswers:
    """Row 5 of the table: one narrow task at 10,000 calls a day."""
    fields: dict[str, Any] = {
        "must_change": frozenset({"narrow_high_volume"}),
        "knowledge_changes": "rarely",
        "calls_per_day": 10_000.0,
        "latency_target_p95_ms": 2000.0,
        "data_sensitivity": "internal",
        "residency": "any",
        "allowed_platforms": ("openai", "vertex", "bedrock", "local"),
        "quality_target": 0.9,
        "current_model": "big",
        "candidate_model": "small",
        # a team that has fine-tuned on OpenAI before and may still start jobs there
        "openai_fine_tuning_access": "yes",
    }
    fields.update(over)
    return DecisionAnswers(**fields)
