"""``studio config set|get|unset display-name``: the name history records for this user.

The display name is kept in the user's settings folder (never in a project): the
author of every change, the labeller whose queue ``--mine`` shows. ``STUDIO_USER``
overrides it; without either, the OS login is used.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.common import EXIT_OK, print_json

KEYS = ("display-name",)


def register(sub: Any) -> None:
    """Add the ``config`` command group."""
    p = sub.add_parser("config", help="your settings: the display name changes are recorded under")
    csub = p.add_subparsers(dest="config_command", metavar="SUBCOMMAND")

    def no_subcommand(_args: argparse.Namespace) -> int:
        p.print_help(sys.stderr)
        return 2

    p.set_defaults(func=no_subcommand)
    s = csub.add_parser("set", help="set a setting (display-name NAME)")
    s.add_argument("key", choices=KEYS)
    s.add_argument("value", metavar="VALUE")
    s.set_defaults(func=_set)
    g = csub.add_parser("get", help="show a setting and the name changes are recorded under")
    g.add_argument("key", choices=KEYS)
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=_get)
    u = csub.add_parser("unset", help="remove a setting (back to the OS login)")
    u.add_argument("key", choices=KEYS)
    u.set_defaults(func=_unset)


def _set(args: argparse.Namespace) -> int:
    from studio.core.display_name import set_display_name

    set_display_name(args.value)
    print(f"Display name set to {args.value.strip()!r}: changes are recorded under it.")
    return EXIT_OK


def _get(args: argparse.Namespace) -> int:
    from studio.core.db.project import current_user
    from studio.core.identity import configured_display_name

    name = configured_display_name()
    if args.json:
        print_json({"display_name": name, "recorded_as": current_user()})
        return EXIT_OK
    print(name if name is not None else f"(not set; changes are recorded as {current_user()})")
    return EXIT_OK


def _unset(_args: argparse.Namespace) -> int:
    from studio.core.db.project import current_user
    from studio.core.display_name import set_display_name

    set_display_name(None)
    print(f"Display name removed: changes are recorded as {current_user()}.")
    return EXIT_OK
