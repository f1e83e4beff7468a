"""Prompt & Dataset Studio: version prompts, curate data, validate, A/B-test, decide."""

__version__ = "0.1.0"
