"""``NAME@VERSION_OR_LABEL[=MODEL]``: one A/B variant as the command line writes it.

``=MODEL`` overrides the prompt version's model, so one version can be compared on two
models (``intents@2=big`` vs ``intents@2=small``): the comparison a fine-tune decision
rests on (ISSUE-10 section 2).
"""

from __future__ import annotations

from studio.core.errors import ValidationError
from studio.core.evals.run_setup import VariantSpec


def parse_variant_arg(text: str, default_model: str | None = None) -> VariantSpec:
    """``"intents@2=small"`` -> ``VariantSpec("intents@2", model="small")``.

    Args:
        text: ``NAME@VERSION`` or ``NAME@label``, optionally followed by ``=MODEL``.
        default_model: the model when ``text`` names none (``--model``); None = the
            version's own model.

    Raises:
        ValidationError: no ``@``, or an empty name, version or model.
    """
    raw = text.strip()
    at = raw.find("@")
    if at <= 0:
        raise ValidationError(
            f"Variant {text!r} is not NAME@VERSION[=MODEL] (for example intents@2=gpt-4o-mini).",
            where="--variant",
        )
    eq = raw.find("=", at)
    ref, model = (raw, None) if eq < 0 else (raw[:eq].strip(), raw[eq + 1 :].strip())
    if ref.endswith("@"):
        raise ValidationError(
            f"Variant {text!r} names no version or label after '@'.", where="--variant"
        )
    if model is not None and not model:
        raise ValidationError(
            f"Variant {text!r} has '=' but no model after it (NAME@VERSION=MODEL).",
            where="--variant",
        )
    return VariantSpec(ref, model=model if model is not None else default_model)
