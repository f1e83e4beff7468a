"""The fine-tune decision: guided answers + project evidence → a traced recommendation.

Public API::

    load_answers(path) -> DecisionAnswers
    load_platforms(path=None) -> PlatformCatalog
    decide(answers, evidence, prices, platforms, today) -> Decision
    render_markdown(decision) -> str
    render_html(decision) -> str
"""

from __future__ import annotations

from studio.core.decide.answers import DecisionAnswers, load_answers
from studio.core.decide.cost import CostModel, build_cost_model
from studio.core.decide.decision import Decision, decide
from studio.core.decide.evidence import Evidence, minimum_detectable_difference, wilson_interval
from studio.core.decide.platforms import Platform, PlatformCatalog, load_platforms
from studio.core.decide.reasons import Reason
from studio.core.decide.report import render_html, render_markdown
from studio.core.decide.rules import RECOMMENDATIONS, RULES

__all__ = [
    "RECOMMENDATIONS",
    "RULES",
    "CostModel",
    "Decision",
    "DecisionAnswers",
    "Evidence",
    "Platform",
    "PlatformCatalog",
    "Reason",
    "build_cost_model",
    "decide",
    "load_answers",
    "load_platforms",
    "minimum_detectable_difference",
    "render_html",
    "render_markdown",
    "wilson_interval",
]
