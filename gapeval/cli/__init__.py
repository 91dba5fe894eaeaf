"""The ``gapeval`` command line: the parser, the entry point ``main`` and one module per command group.

This package owns argument parsing and the command handlers. Each command group lives in its own
module exposing ``register(subparsers)`` (:mod:`gapeval.cli.run`, :mod:`~gapeval.cli.score`,
:mod:`~gapeval.cli.report`, :mod:`~gapeval.cli.bank`, :mod:`~gapeval.cli.agreement`, and the demos
:mod:`gapeval.demo` and :mod:`gapeval.demo_irt`); that function adds the group's sub-commands and
sets ``handler`` (a callable taking the parsed arguments and returning an exit status). Building the
parser imports only these light modules: every handler imports the runner, the bank, the scorers,
pandas, PIL, scipy or JAX inside itself, so ``gapeval --help`` stays fast (a test checks it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

#: Modules that contribute commands, in the order they appear in ``gapeval --help``.
COMMAND_MODULES: tuple[str, ...] = (
    "gapeval.demo",
    "gapeval.demo_irt",
    "gapeval.cli.run",
    "gapeval.cli.score",
    "gapeval.cli.report",
    "gapeval.cli.bank",
    "gapeval.cli.agreement",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every command group registered."""
    parser = argparse.ArgumentParser(
        prog="gapeval",
        description="Measure the understanding-generation gap of multimodal models.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure, 2 bad input)."""
    # JAX reads this once, when it starts: one host device per core lets NUTS chains run in parallel.
    os.environ.setdefault("XLA_FLAGS", f"--xla_force_host_platform_device_count={os.cpu_count() or 1}")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (ValueError, FileNotFoundError) as error:
        from gapeval.store.redact import scrub

        print(f"gapeval {args.command}: error: {scrub(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gapeval {args.command}: interrupted", file=sys.stderr)
        return 130
