"""Tool calls in messages: the calls an assistant makes, the replies they need, and the
tools a record declares (docs/formats.md §2.3)."""

from __future__ import annotations

import re
from typing import Any, TypeGuard

import orjson

from studio.core.formats.common import LineSink, type_name
from studio.core.formats.message_profiles import MessageProfile, MessagesInfo

FUNCTION_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_tool_calls(
    calls: Any,
    where: str,
    profile: MessageProfile,
    out: LineSink,
    info: MessagesInfo,
    issued: set[str],
) -> None:
    if not isinstance(calls, list) or not calls:
        out.error("tool_call_malformed", f"{where}: tool_calls must be a non-empty array.")
        info.ok = False
        return
    for k, call in enumerate(calls, 1):
        cwhere = f"{where}, tool call {k}"
        if not isinstance(call, dict):
            out.error("tool_call_malformed", f"{cwhere} is a {type_name(call)}, not an object.")
            info.ok = False
            continue
        call_id = call.get("id")
        if call_id is None and profile.relaxed_tools:
            pass
        elif not isinstance(call_id, str) or not call_id:
            out.error("tool_call_malformed", f"{cwhere} needs a string id.")
            info.ok = False
        else:
            issued.add(call_id)
            if profile.tool_call_id_len and len(call_id) != profile.tool_call_id_len:
                out.error(
                    "tool_call_malformed",
                    f"{cwhere}: {profile.target} tool call ids must be exactly "
                    f"{profile.tool_call_id_len} characters, not {len(call_id)}.",
                )
                info.ok = False
        if call.get("type", "function") != "function":
            out.error("tool_call_malformed", f'{cwhere}: type must be "function".')
            info.ok = False
        elif "type" not in call and profile.arguments_as == "string":
            out.error("tool_call_malformed", f'{cwhere} needs "type": "function".')
            info.ok = False
        check_function_call(call.get("function"), cwhere, profile, out, info)


def _name_ok(name: Any, where: str, code: str, out: LineSink) -> TypeGuard[str]:
    """True for a valid function name; else an error under ``code`` (a call's or a tool's)."""
    if isinstance(name, str) and FUNCTION_NAME_RE.match(name):
        return True
    out.error(
        code,
        f"{where}: the function name must be 1-64 characters of a-z, A-Z, 0-9, _ "
        f"or -, not {name!r}.",
    )
    return False


def check_function_call(
    fn: Any, where: str, profile: MessageProfile, out: LineSink, info: MessagesInfo
) -> None:
    if not isinstance(fn, dict):
        out.error(
            "tool_call_malformed", f"{where} needs a function object with name and arguments."
        )
        info.ok = False
        return
    name = fn.get("name")
    if not _name_ok(name, where, "tool_call_malformed", out):
        info.ok = False
    else:
        info.called_functions.append(name)
    if "arguments" not in fn:
        out.error("tool_call_malformed", f"{where}: the function has no arguments.")
        info.ok = False
        return
    args = fn["arguments"]
    if isinstance(args, str):
        try:
            orjson.loads(args)
        except orjson.JSONDecodeError:
            out.warning(
                "tool_arguments_not_json", f"{where}: the arguments string is not valid JSON."
            )
    elif profile.arguments_as == "string":
        out.error(
            "tool_call_malformed",
            f"{where}: arguments must be a JSON-encoded string, not a "
            f"{type_name(args)} ({profile.target}; TRL/HF templates use objects).",
        )
        info.ok = False


def check_tool_replies(
    messages: list[Any], info: MessagesInfo, out: LineSink, profile: MessageProfile
) -> None:
    """A tool call made mid-conversation must be answered before the conversation goes on.

    docs/formats.md §2.3: an example may *end* with an assistant tool call and no reply (the
    final assistant turn is the training target, the schema's own example does it), but a
    call followed by a user or assistant message never got its result: the model would be
    trained on a conversation that continues as if the tool had answered. The tool
    messages answering a call must come straight after it (the chat API's pairing rule);
    each call id needs a reply (with relaxed tool profiles such as TRL, where ids are
    optional, at least one tool message must follow).
    """
    last = len(messages) - 1
    for pos, ids in info.tool_call_turns:
        if pos < 0 or pos >= last:
            continue  # the final assistant turn may end on a tool call
        replies = []
        j = pos + 1
        while j <= last:
            m = messages[j]
            if not isinstance(m, dict) or m.get("role") != "tool":
                break
            replies.append(m)
            j += 1
        where = f"message {pos + 1}"
        if not replies:
            nxt = messages[pos + 1]
            role = nxt.get("role") if isinstance(nxt, dict) else None
            out.error(
                "tool_call_without_reply",
                f"{where}: the assistant calls a tool but message {pos + 2} is "
                f"{role if isinstance(role, str) else 'not a tool message'}, not the "
                "tool's reply; only the final assistant message may end on a tool call "
                "(add the tool messages, or drop the turns after the call).",
            )
            info.ok = False
            continue
        if profile.relaxed_tools or None in ids:
            continue  # ids optional (TRL), or a malformed call was already reported
        reply_ids = [m.get("tool_call_id") for m in replies]
        if not all(isinstance(r, str) for r in reply_ids):
            continue  # a reply without a usable tool_call_id was already reported
        missing = [c for c in ids if c not in reply_ids]
        if missing and j <= last:  # the conversation goes on without those results
            out.error(
                "tool_call_without_reply",
                f"{where}: tool call {', '.join(repr(c) for c in missing)} gets no tool "
                f"reply before message {j + 1}; every call made mid-conversation needs "
                "a tool message with its tool_call_id right after the call.",
            )
            info.ok = False


def declared_functions(
    obj: dict[str, Any], out: LineSink, *, key: str = "tools", require_description: bool = False
) -> set[str] | None:
    """Check ``tools`` (and legacy ``functions``); return declared names or None."""
    names: set[str] | None = None
    tools = obj.get(key)
    if tools is not None:
        names = set()
        if not isinstance(tools, list):
            out.error("invalid_tools", f"{key!r} must be an array of tool definitions.")
        else:
            for i, tool in enumerate(tools, 1):
                fn = tool.get("function") if isinstance(tool, dict) else None
                if (
                    not isinstance(tool, dict)
                    or tool.get("type") != "function"
                    or not isinstance(fn, dict)
                ):
                    out.error(
                        "invalid_tools",
                        f'tool {i} must be {{"type": "function", "function": {{...}}}}.',
                    )
                    continue
                _check_function_def(fn, f"tool {i}", out, names, require_description)
    functions = obj.get("functions")
    if functions is not None:
        out.info("legacy_format", "'functions' is deprecated; use 'tools'.")
        names = names if names is not None else set()
        if not isinstance(functions, list) or not 1 <= len(functions) <= 128:
            out.error("invalid_tools", "'functions' must be an array of 1 to 128 functions.")
        else:
            for i, fn in enumerate(functions, 1):
                if not isinstance(fn, dict):
                    out.error("invalid_tools", f"function {i} must be an object.")
                    continue
                _check_function_def(fn, f"function {i}", out, names, require_description)
    return names


def _check_function_def(
    fn: dict[str, Any], where: str, out: LineSink, names: set[str], require_description: bool
) -> None:
    name = fn.get("name")
    if _name_ok(name, where, "invalid_tools", out):
        names.add(name)
    params = fn.get("parameters")
    if params is not None and not isinstance(params, dict):
        out.error("invalid_tools", f"{where}: parameters must be a JSON Schema object.")
    if require_description:
        if not isinstance(fn.get("description"), str):
            out.error("invalid_tools", f"{where}: the function needs a description string.")
        if not isinstance(params, dict):
            out.error(
                "invalid_tools",
                f"{where}: the function needs a parameters object (use {{}} when it takes none).",
            )
