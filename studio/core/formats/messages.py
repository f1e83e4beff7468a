"""Checks of OpenAI-style ``messages`` lists, shared by the chat-shaped targets.

OpenAI SFT, DPO inputs, RFT, Together conversational, Mistral and TRL all use
``{"role", "content", ...}`` messages with small differences, captured in a
:class:`MessageProfile`. Rules and their sources: docs/formats.md §2.2, §2.3, §10, §13, §15.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.core.formats.aliases import message_key_hint, role_alias_hint
from studio.core.formats.common import LineSink, type_name
from studio.core.formats.message_content import check_parts, content_text
from studio.core.formats.message_profiles import MessageProfile, MessagesInfo
from studio.core.formats.tool_calls import (
    check_function_call,
    check_tool_calls,
    check_tool_replies,
)
from studio.core.tokens.counting import (
    REPLY_PRIMER_TOKENS,
    TOKENS_PER_MESSAGE,
    count_messages_tokens,
)


def check_messages(
    messages: Any,
    out: LineSink,
    profile: MessageProfile,
    declared: set[str] | None,
    *,
    key: str = "messages",
    count: Callable[[str], int] | None = None,
    role_count: Callable[[str], int] | None = None,
) -> MessagesInfo:
    """Check a messages list against ``profile``; findings go to ``out``.

    ``declared`` holds the function names declared in tools/functions (None: no tools
    declared, so called functions are reported as undeclared). With ``count`` and
    ``role_count`` the walk also sums the cookbook token count into ``info.tokens`` (one
    pass over the messages instead of two).
    """
    info = MessagesInfo()
    if messages is None:
        out.error("missing_messages", f"The record has no {key!r} array.")
        info.ok = False
        return info
    if not isinstance(messages, list):
        out.error(
            "wrong_type", f"{key!r} must be an array of messages, not a {type_name(messages)}."
        )
        info.ok = False
        return info
    if not messages:
        out.error("missing_messages", f"{key!r} is empty; an example needs messages.")
        info.ok = False
        return info
    issued: set[str] = set()
    role_keys = profile.role_keys
    roles = info.roles
    tokens = REPLY_PRIMER_TOKENS
    for i, msg in enumerate(messages, 1):
        # Fast path: {"role": known, "content": "non-empty string"} and nothing else.
        if msg.__class__ is dict and len(msg) == 2:
            role = msg.get("role")
            content = msg.get("content")
            if (
                content.__class__ is str
                and role.__class__ is str
                and role in role_keys
                and content
                and not content.isspace()
                and role != "tool"
                and role != "function"
            ):
                roles.append(role)
                if role == "assistant":
                    info.assistant_count += 1
                    info.trainable_assistants += 1
                    info.outputs.append(content)
                if count is not None and role_count is not None:
                    tokens += TOKENS_PER_MESSAGE + role_count(role) + count(content)
                continue
        _check_message(i, msg, out, profile, info, issued)
        if info.tool_call_turns and info.tool_call_turns[-1][0] == -1:
            info.tool_call_turns[-1] = (i - 1, info.tool_call_turns[-1][1])
        if count is not None and role_count is not None:
            tokens += count_messages_tokens((msg,), count, role_count) - REPLY_PRIMER_TOKENS
    info.tokens = tokens
    _check_order(info, out, profile)
    if info.tool_call_turns:
        check_tool_replies(messages, info, out, profile)
    if not profile.relaxed_tools and (declared is not None or info.called_functions):
        for name in info.called_functions:
            if declared is None or name not in declared:
                out.warning(
                    "unknown_tool_function",
                    f"The function {name!r} is called but not declared in tools.",
                )
                break
    return info


def _check_message(
    i: int, msg: Any, out: LineSink, profile: MessageProfile, info: MessagesInfo, issued: set[str]
) -> None:
    """The full rules for one message (the slow path of :func:`check_messages`)."""
    role_keys = profile.role_keys
    where = f"message {i}"
    if not isinstance(msg, dict):
        out.error("wrong_type", f"{where} is a {type_name(msg)}, not an object.")
        info.ok = False
        info.roles.append("")
        return
    role = msg.get("role")
    if not isinstance(role, str):
        if role is None:
            out.error("message_missing_key", f"{where} has no role.")
        else:
            out.error("wrong_type", f"{where}: role must be a string.")
        info.ok = False
        info.roles.append("")
        return
    allowed = role_keys.get(role)
    info.roles.append(role)
    if allowed is None:
        hint = profile.role_hint.get(role) or role_alias_hint(role)
        out.error(
            "unknown_role",
            f"{where}: role {role!r} is not accepted by {profile.target} (allowed: "
            f"{', '.join(role_keys)})" + (f"; {hint}." if hint else "."),
        )
        info.ok = False
        return
    if len(msg) > len(allowed) or not allowed.issuperset(msg):
        for k in msg:
            if k in allowed:
                continue
            if k == "weight":
                out.warning(
                    "weight_on_non_assistant",
                    f"{where}: weight is only defined on assistant messages; "
                    f"it has no effect on {role}.",
                )
            else:
                fix = message_key_hint(k)
                out.error(
                    "unrecognized_key",
                    f"{where}: key {k!r} is not allowed in a {role} message"
                    + (f"; {fix}." if fix else "."),
                )
                info.ok = False
    if "text" in msg and "text" in allowed:
        # Mistral accepts "text" instead of "content" (not both).
        if "content" in msg:
            out.error("unrecognized_key", f"{where} has both 'text' and 'content'.")
            info.ok = False
        content = msg["text"]
        has_content = True
    else:
        content = msg.get("content")
        has_content = "content" in msg
    if role == "assistant":
        info.assistant_count += 1
        has_calls = "tool_calls" in msg or "function_call" in msg
        if "tool_calls" in msg:
            check_tool_calls(msg["tool_calls"], where, profile, out, info, issued)
            calls = msg["tool_calls"]
            if isinstance(calls, list) and calls:
                # position filled in by check_messages (-1: "this message")
                info.tool_call_turns.append(
                    (
                        -1,
                        [
                            c.get("id")
                            if isinstance(c, dict) and isinstance(c.get("id"), str)
                            else None
                            for c in calls
                        ],
                    )
                )
        if "function_call" in msg:
            out.info("legacy_format", f"{where}: function_call is deprecated; use tool_calls.")
            check_function_call(msg["function_call"], where + " function_call", profile, out, info)
        weight = msg.get("weight", 1)
        if "weight" in msg and (type(weight) is not int or weight not in (0, 1)):
            out.error(
                "invalid_weight", f"{where}: weight must be the integer 0 or 1, not {weight!r}."
            )
            info.ok = False
            weight = 1
        if content is None or content == "":
            if not has_calls and not isinstance(msg.get("refusal"), str):
                out.error(
                    "assistant_missing_content",
                    f"{where}: an assistant message needs content or tool_calls.",
                )
                info.ok = False
        elif isinstance(content, str):
            if not content.strip() and not has_calls:
                out.error(
                    "assistant_missing_content",
                    f"{where}: the assistant content is only whitespace: nothing to train on.",
                )
                info.ok = False
            if weight:
                info.outputs.append(content)
        elif isinstance(content, list) and profile.content_parts:
            check_parts(content, role, where, profile, out, info)
            text = content_text(content)
            if (
                content
                and not (text or "").strip()
                and not has_calls
                and not any(isinstance(p, dict) and p.get("type") == "refusal" for p in content)
            ):
                out.error(
                    "assistant_missing_content",
                    f"{where}: the assistant content parts hold no text: nothing to train on.",
                )
                info.ok = False
            if weight and text is not None:
                info.outputs.append(text)
        else:
            out.error(
                "wrong_type",
                f"{where}: content must be a string"
                + (", null or an array of parts" if profile.content_parts else "")
                + f", not a {type_name(content)}.",
            )
            info.ok = False
        if weight:
            info.trainable_assistants += 1
        return
    if "weight" in msg and role in profile.weight_roles:
        w = msg["weight"]
        if type(w) is not int or w not in (0, 1):
            out.error("invalid_weight", f"{where}: weight must be the integer 0 or 1, not {w!r}.")
            info.ok = False
    if not has_content:
        out.error("message_missing_key", f"{where} ({role}) has no content.")
        info.ok = False
    elif isinstance(content, str):
        if not content.strip() and role != "tool":
            out.warning("empty_content", f"{where} ({role}) has empty content.")
    elif isinstance(content, list) and profile.content_parts:
        check_parts(content, role, where, profile, out, info)
    elif content is None and role == "function":
        pass
    else:
        out.error(
            "wrong_type",
            # Same error as the assistant branch above with its own wording (duplicates report).
            f"{where}: {role} content must be a string"
            + (" or an array of parts" if profile.content_parts else "")
            + f", not a {type_name(content)}.",
        )
        info.ok = False
    if role in profile.system_roles and isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and part.get("type") != "text":
                out.error("invalid_content_part", f"{where}: {role} content parts must be text.")
                info.ok = False
                break
    if role == "tool":
        call_id = msg.get("tool_call_id")
        if call_id is None and profile.relaxed_tools and isinstance(msg.get("name"), str):
            pass
        elif call_id is None:
            out.error(
                "tool_message_missing_tool_call_id",
                f"{where}: a tool message needs the tool_call_id it answers.",
            )
            info.ok = False
        elif not isinstance(call_id, str):
            out.error("wrong_type", f"{where}: tool_call_id must be a string.")
            info.ok = False
        elif call_id not in issued:
            out.error(
                "tool_call_id_mismatch",
                f"{where}: tool_call_id {call_id!r} does not answer any earlier "
                "assistant tool call in this example.",
            )
            info.ok = False
    elif role == "function" and not isinstance(msg.get("name"), str):
        out.error("message_missing_key", f"{where}: a function message needs a name.")
        info.ok = False


def _check_order(info: MessagesInfo, out: LineSink, profile: MessageProfile) -> None:
    roles = info.roles
    if profile.require_assistant:
        if info.assistant_count == 0:
            out.error(
                "missing_assistant_message",
                "The example has no assistant message, so there is nothing to train on.",
            )
            info.ok = False
        elif info.trainable_assistants == 0:
            out.warning(
                "no_trainable_assistant_message",
                "Every assistant message has weight 0: nothing to train on.",
            )
    sys_roles = profile.system_roles
    convo = roles
    if roles and roles[0] in sys_roles:
        convo = roles[1:]
    for i, role in enumerate(convo):
        if role in sys_roles:
            if profile.single_system:
                out.error("conversation_order", "Only one system message is allowed.")
                info.ok = False
            else:
                getattr(out, "error" if profile.strict_alternation else "warning")(
                    "conversation_order",
                    f"message {i + 1 + len(roles) - len(convo)}: the {role} message should "
                    "come first.",
                )
            break
    if profile.strict_alternation:
        convo = [r for r in roles if r not in sys_roles]
        for i, role in enumerate(convo):
            expected = "user" if i % 2 == 0 else "assistant"
            if role != expected:
                out.error(
                    "conversation_order",
                    f"After the optional system message, roles must alternate "
                    f"user/assistant; turn {i + 1} is {role or '?'} where "
                    f"{expected} was expected ({profile.target}).",
                )
                info.ok = False
                break
    elif profile.check_start and convo and convo[0] == "assistant":
        out.warning(
            "conversation_order",
            "The conversation starts with an assistant message, not a user one.",
        )
    last = roles[-1] if roles else ""
    if profile.last_must_be_assistant and last and last != "assistant":
        msg = (
            f"The last message is {last}, not assistant; trailing turns are never "
            f"trained on ({profile.target})."
        )
        if profile.last_must_be_assistant == "error":
            out.error("last_message_not_assistant", msg)
            info.ok = False
        else:
            out.warning("last_message_not_assistant", msg)
