"""``studio provider``: the providers the app and the command line share.

    studio provider list [--json]
    studio provider add NAME --base-url URL [--kind openai|azure|compatible]
                        [--api-version V] [--model M] [--key-env NAME | --key-stdin]
                        [--default] [--replace] [--json]
    studio provider remove NAME [--json]
    studio provider test NAME [--api-key-env NAME] [--allow-insecure-key] [--json]

Providers live in ``providers.json`` in the user config folder (never a key); keys live
in the system keyring (:mod:`studio.core.llm.provider_store`). A key is never taken as a
command-line argument (it would stay in the shell history and show in ``ps``): ``add``
reads it from standard input (``--key-stdin``) or copies it from an environment variable
(``--key-env NAME``) into the keyring. ``test`` makes one cheap request (``GET /models``:
no tokens) and prints a verdict.

Exit codes: 0 ok, 1 ``test`` failed (the server did not answer as it should), 2 bad
input (unknown provider, a bad URL, no keyring to keep a key in).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from studio.cli.common import EXIT_CHECK_FAILED, EXIT_OK, CliUsageError, eprint, print_json
from studio.cli.provider_args import add_key_args


def register(sub: Any) -> None:
    """Add the ``provider`` command and its subcommands."""
    p = sub.add_parser(
        "provider",
        help="list, add, remove or test the saved model providers (shared with the app)",
        description="Saved providers: where requests go (base URL, kind, default model). "
        "Keys are kept in the system keyring, never in a file.",
    )
    psub = p.add_subparsers(dest="provider_command", metavar="SUBCOMMAND", parser_class=type(p))
    p.set_defaults(func=lambda _args: _help(p))

    ls = psub.add_parser("list", help="the saved providers and where each key comes from")
    ls.add_argument("--json", action="store_true", help="print the providers as JSON")
    ls.set_defaults(func=_list)

    add = psub.add_parser("add", help="save a provider (and its key, in the keyring)")
    add.add_argument("name", metavar="NAME", help="your name for it, e.g. work-vllm")
    add.add_argument(
        "--base-url",
        required=True,
        metavar="URL",
        help="the OpenAI-compatible base URL (…/v1) or, for Azure, the endpoint",
    )
    add.add_argument(
        "--kind",
        choices=("openai", "azure", "compatible"),
        default=None,
        help="default: openai for api.openai.com, azure for Azure hosts, else compatible",
    )
    add.add_argument(
        "--api-version",
        default=None,
        metavar="V",
        help="Azure's api-version (default 2024-10-21 for azure)",
    )
    add.add_argument(
        "--model",
        default=None,
        metavar="M",
        help="default model (Azure: deployment) preselected in the app",
    )
    key_from = add.add_mutually_exclusive_group()
    key_from.add_argument(
        "--key-env",
        default=None,
        metavar="NAME",
        help="store the key held in the environment variable NAME",
    )
    key_from.add_argument(
        "--key-stdin",
        action="store_true",
        help="read the key from the first line of standard input",
    )
    add.add_argument(
        "--default", action="store_true", help="make it the provider the app preselects"
    )
    add.add_argument(
        "--replace", action="store_true", help="replace a saved provider of the same name"
    )
    add.add_argument("--json", action="store_true", help="print the saved provider as JSON")
    add.set_defaults(func=_add)

    rm = psub.add_parser("remove", help="forget a provider and its stored key")
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("--json", action="store_true", help="print what was removed as JSON")
    rm.set_defaults(func=_remove)

    test = psub.add_parser("test", help="one cheap request (GET /models) and a verdict")
    test.add_argument("name", metavar="NAME")
    add_key_args(test)
    test.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds to wait for the answer (default 10)",
    )
    test.add_argument(
        "--json",
        action="store_true",
        help='print {"provider", "ok", "verdict", "latency_ms", "models", ...}',
    )
    test.set_defaults(func=_test)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _key_source(config: Any) -> str:
    from studio.core.llm import keys

    return keys.get_key_with_source(config)[1] or "none"


def _describe(config: Any, default: str | None) -> dict[str, Any]:
    return {**config.to_dict(), "default": config.name == default, "key": _key_source(config)}


def _list(args: argparse.Namespace) -> int:
    from studio.core.llm.provider_store import load_providers, providers_path

    settings = load_providers()
    default = settings.default_provider.name if settings.default_provider else None
    rows = [_describe(p, default) for p in settings.providers]
    if args.json:
        print_json({"file": str(providers_path()), "providers": rows})
        return EXIT_OK
    if not rows:
        print(
            f"No providers saved yet ({providers_path()}); add one with "
            "`studio provider add NAME --base-url URL`."
        )
        return EXIT_OK
    for row in rows:
        mark = "*" if row["default"] else " "
        model = f", model {row['default_model']}" if row["default_model"] else ""
        print(f"{mark} {row['name']}: {row['kind']} at {row['base_url']}{model}; key: {row['key']}")
    return EXIT_OK


def _read_key(args: argparse.Namespace) -> str | None:
    if args.key_env:
        value = (os.environ.get(args.key_env) or "").strip()
        if not value:
            raise CliUsageError(
                f"--key-env {args.key_env}: the environment variable is not set or empty."
            )
        return value
    if args.key_stdin:
        value = sys.stdin.readline().strip()
        if not value:
            raise CliUsageError("--key-stdin: standard input held no key.")
        return value
    return None


def _kind_for(url: str, kind: str | None) -> str:
    from studio.core.llm.key_policy import is_azure_host, is_openai_host

    if kind:
        return kind
    if is_openai_host(url):
        return "openai"
    return "azure" if is_azure_host(url) else "compatible"


def _add(args: argparse.Namespace) -> int:
    from studio.core.llm import keys
    from studio.core.llm.key_policy import insecure_transport
    from studio.core.llm.provider_store import add_provider
    from studio.core.llm.providers import ProviderConfig
    from studio.core.redact import remember_secret

    key = _read_key(args)
    remember_secret(key)
    kind = _kind_for(args.base_url, args.kind)
    config = ProviderConfig(
        name=args.name.strip(),
        base_url=args.base_url.strip().rstrip("/"),
        kind=kind,  # type: ignore[arg-type]
        api_version=args.api_version or ("2024-10-21" if kind == "azure" else None),
        default_model=args.model,
    )
    if key is not None and not keys.keyring_status()[0]:
        # The command ends here, so a key held "for this session" would be lost: say so
        # instead of pretending it was saved.
        raise CliUsageError(
            "this machine has no system keyring, so the key cannot be saved (the studio "
            "never writes keys to files). Save the provider without a key and pass "
            "--api-key-env NAME when you use it."
        )
    where = add_provider(config, key=key, replace=args.replace, make_default=args.default)
    if args.json:
        print_json({**config.to_dict(), "key": where or _key_source(config)})
    else:
        stored = " and its key in the system keyring" if where == "keyring" else ""
        eprint(f"Saved provider {config.name!r} ({config.kind} at {config.base_url}){stored}.")
    if insecure_transport(config.base_url) and (key or where):
        eprint(
            f"studio: note: {config.base_url} is plain http to another machine; its key "
            "is only sent with --allow-insecure-key."
        )
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    from studio.core.llm.provider_store import remove_provider

    config = remove_provider(args.name)
    if args.json:
        print_json({"removed": config.name})
    else:
        eprint(f"Removed provider {config.name!r} and its stored key.")
    return EXIT_OK


def _test(args: argparse.Namespace) -> int:
    from studio.cli.provider_args import resolve_target
    from studio.core.errors import UserError
    from studio.core.llm.probe import describe_models, list_models

    args.provider = args.name
    target = resolve_target(args, need_key=False)
    config = target.provider
    started = time.perf_counter()
    models: list[str] = []
    try:
        models = list_models(config, target.key, read_timeout_s=args.timeout)
        ok = True
    except UserError as exc:
        ok, problem = False, exc.message
    elapsed_ms = (time.perf_counter() - started) * 1000
    key_text = f"a key from {target.key_origin}" if target.key else "no key"
    if ok:
        verdict = (
            f"OK: {config.name} answered GET /models at {config.base_url} in "
            f"{elapsed_ms:.0f} ms with {key_text}. {describe_models(models)}"
        )
        if config.default_model and models and config.default_model not in models:
            verdict += f" Note: its default model {config.default_model!r} is not listed."
    else:
        verdict = f"FAILED: {config.name} at {config.base_url} (sent {key_text}): {problem}"
    if args.json:
        print_json(
            {
                "provider": config.name,
                "base_url": config.base_url,
                "kind": config.kind,
                "ok": ok,
                "verdict": verdict,
                "latency_ms": round(elapsed_ms, 1),
                "models": models,
                "key": target.key_origin or "none",
            }
        )
    else:
        print(verdict)
    return EXIT_OK if ok else EXIT_CHECK_FAILED
