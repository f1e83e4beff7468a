"""Turn a dataset example into a neutral training example through a prompt version.

The rule (the same for every target; the target's exporter then reshapes it):

* **Variable examples** (``inputs`` holds named variables): every message of the prompt
  version is rendered with the example's variables, in the version's order: its
  system/developer messages, its user turns and any few-shot assistant turns. The
  example's ideal output is appended as the final assistant turn.
* **Imported conversations** (``conversation`` is set): the example keeps its own turns
  (user, assistant, tool ...) and takes the version's system/developer messages
  (rendered with the example's variables; the version's user turns are not used)
  *instead of* its own ``system_prompt``; when
  the version has no system/developer message the example's own system prompt is kept.
  The ideal output is appended as the final assistant turn.
* **The ideal output**: ``text`` is the assistant's content as written; ``json`` is the
  JSON text as stored (it is what the model must learn to emit); ``tool_calls`` is the
  stored ``{"content": ..., "tool_calls": [...]}`` message, with ids added where missing,
  ``type: "function"`` and arguments as JSON text (OpenAI's convention; targets that
  want objects convert). A classification example without an ideal output uses its
  label. With an output template (:mod:`studio.core.export.fit`), an example with a
  label gets the template rendered with that label as its answer instead.
* ``developer`` messages become ``system`` messages: supervised fine-tuning files know
  only ``system`` (the OpenAI RFT exporter turns them back into ``developer``).
* Tools: the version's tools when it has any, else the example's own (imported) tools.

Examples that cannot be rendered (a missing variable, no ideal output, a version that
ends with an assistant turn) raise :class:`ExampleSkipped` with a sentence naming the
example; the exporter records them as skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import orjson

from studio.core.datasets.queries import ExampleDetail
from studio.core.errors import UserError
from studio.core.export.fit import OutputTemplate
from studio.core.formats.common import ChatExample, PreferenceExample
from studio.core.prompts.render import render_messages
from studio.core.prompts.spec import Message, PromptSpec

SYSTEM_ROLES = frozenset({"system", "developer"})


class ExampleSkipped(UserError):
    """One example cannot become a training example; ``reason`` is a short code."""

    def __init__(self, message: str, *, reason: str, example_id: int) -> None:
        super().__init__(message, where=f"example {example_id}")
        self.reason = reason
        self.example_id = example_id


def _system(role: str) -> str:
    return "system" if role in SYSTEM_ROLES else role


def _render(messages: Sequence[Message], ex: ExampleDetail) -> list[dict[str, Any]]:
    try:
        result = render_messages(messages, ex.inputs or {})
    except UserError as exc:
        raise ExampleSkipped(
            f"Example {ex.id} cannot be rendered: {exc.message}",
            reason="render_failed",
            example_id=ex.id,
        ) from None
    return [{"role": _system(m["role"]), "content": m["content"]} for m in result.messages]


def _prompt_turns(spec: PromptSpec, ex: ExampleDetail) -> list[dict[str, Any]]:
    """The messages before the answer (system first), per the module rule."""
    if ex.conversation is not None:
        # only the version's system/developer messages apply (its user turns do not)
        system = _render([m for m in spec.messages if m.role in SYSTEM_ROLES], ex)
        if not system and ex.system_prompt:
            system = [{"role": "system", "content": ex.system_prompt}]
        turns = [copy.deepcopy(m) for m in ex.conversation if isinstance(m, dict)]
        for m in turns:
            m["role"] = _system(str(m.get("role", "")))
        # the version's system prompt replaces any system turn the conversation carried
        return system + [m for m in turns if m.get("role") != "system"]
    rendered = _render(spec.messages, ex)
    if rendered and rendered[-1]["role"] == "assistant":
        raise ExampleSkipped(
            f"The prompt version ends with an assistant message, so example {ex.id}'s ideal "
            "output cannot follow it as the answer.",
            reason="prompt_ends_with_assistant",
            example_id=ex.id,
        )
    return rendered


def _tool_call(call: Any, ex_id: int, index: int) -> dict[str, Any]:
    if not isinstance(call, dict):
        raise ExampleSkipped(
            f"Example {ex_id}: tool call {index} is not an object.",
            reason="bad_tool_calls",
            example_id=ex_id,
        )
    fn = call.get("function") if isinstance(call.get("function"), dict) else None
    if fn is None and "name" in call:  # {"name", "arguments"} shorthand
        fn = {"name": call.get("name"), "arguments": call.get("arguments", {})}
    if fn is None or not isinstance(fn.get("name"), str):
        raise ExampleSkipped(
            f"Example {ex_id}: tool call {index} has no function name.",
            reason="bad_tool_calls",
            example_id=ex_id,
        )
    args = fn.get("arguments", {})
    if not isinstance(args, str):
        args = orjson.dumps(args).decode()
    call_id = (
        call.get("id")
        if isinstance(call.get("id"), str) and call.get("id")
        else f"call_{ex_id}_{index}"
    )
    return {"id": call_id, "type": "function", "function": {"name": fn["name"], "arguments": args}}


def answer_message(ex: ExampleDetail, template: OutputTemplate | None = None) -> dict[str, Any]:
    """The final assistant message from the example's ideal output (or label).

    With ``template``, a labelled (non tool-call) example answers with the template
    rendered with its label.
    """
    if template is not None and ex.label and ex.output_kind != "tool_calls":
        return {"role": "assistant", "content": template.render(ex.label)}
    output = ex.ideal_output
    if output is None or (ex.output_kind != "tool_calls" and not output.strip()):
        if ex.label:
            output = ex.label
        else:
            raise ExampleSkipped(
                f"Example {ex.id} has no ideal output.", reason="no_ideal_output", example_id=ex.id
            )
    if ex.output_kind != "tool_calls":
        return {"role": "assistant", "content": output}
    try:
        parsed = orjson.loads(output)
    except orjson.JSONDecodeError:
        parsed = None
    calls = parsed.get("tool_calls") if isinstance(parsed, dict) else None
    if not isinstance(calls, list) or not calls:
        raise ExampleSkipped(
            f'Example {ex.id}: a tool-call output must be {{"content": ..., "tool_calls": '
            "[...]} with at least one call.",
            reason="bad_tool_calls",
            example_id=ex.id,
        )
    message: dict[str, Any] = {"role": "assistant"}
    content = parsed.get("content") if isinstance(parsed, dict) else None
    if isinstance(content, str) and content:
        message["content"] = content
    message["tool_calls"] = [_tool_call(c, ex.id, i) for i, c in enumerate(calls, 1)]
    return message


def _tools(spec: PromptSpec, ex: ExampleDetail) -> list[dict[str, Any]] | None:
    if spec.tools:
        return copy.deepcopy(spec.tools)
    if ex.tools:
        return [copy.deepcopy(t) for t in ex.tools if isinstance(t, dict)] or None
    return None


def example_to_chat(
    spec: PromptSpec, ex: ExampleDetail, template: OutputTemplate | None = None
) -> ChatExample:
    """The neutral chat example of ``ex`` rendered through ``spec`` (see the module rule).

    ``template`` (optional) maps the example's label into the answer.

    Raises:
        ExampleSkipped: the example cannot be rendered or has no ideal output.
    """
    messages = _prompt_turns(spec, ex)
    messages.append(answer_message(ex, template))
    return ChatExample(messages=messages, tools=_tools(spec, ex), example_id=ex.id)


def example_to_preference(
    spec: PromptSpec, ex: ExampleDetail, chosen: str, rejected: str
) -> PreferenceExample:
    """A preference pair: the rendered prompt (no answer) and two assistant answers.

    Raises:
        ExampleSkipped: the example cannot be rendered.
    """
    messages = _prompt_turns(spec, ex)
    if messages and messages[-1].get("role") == "assistant":
        raise ExampleSkipped(
            f"Example {ex.id}'s conversation ends with an assistant turn; a preference "
            "prompt must end with the user.",
            reason="prompt_ends_with_assistant",
            example_id=ex.id,
        )
    return PreferenceExample(
        prompt_messages=messages, chosen=chosen, rejected=rejected, example_id=ex.id
    )
