"""The ``gapeval`` command line: the parser, the entry point ``main`` and one module per command group.

This package owns argument parsing and the command handlers. Each command group lives in its own
module exposing ``register(subparsers)`` (:mod:`gapeval.cli.run`, :mod:`~gapeval.cli.score`,
:mod:`~gapeval.cli.report`, :mod:`~gapeval.cli.bank`, :mod:`~gapeval.cli.import_results`,
:mod:`~gapeval.cli.agreement`, and the demos
:mod:`gapeval.demo` and :mod:`gapeval.demo_irt`); that function adds the group's sub-commands and
sets ``handler`` (a callable taking the parsed arguments and returning an exit status). Building the
parser imports only these light modules: every handler imports the runner, the bank, the scorers,
pandas, PIL, scipy or JAX inside itself, so ``gapeval --help`` stays fast (a test checks it).
"""

from __future__ import annotations

import argparse
import errno
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
    "gapeval.cli.import_results",
    "gapeval.cli.agreement",
    "gapeval.cli.calibrate",
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


#: Exit statuses of every command (``docs/runner.md`` lists them too).
EXIT_CODES: dict[int, str] = {
    0: "done",
    1: "an unexpected error (a bug: the traceback is printed; please report it)",
    2: "bad input: a file, option, value or configuration (GapevalError), or a usage error",
    3: "a run is incomplete: some calls ended in errors (logged in the store); re-run to retry them",
    4: "the store or an output folder cannot be used: damaged, disk full, read-only (StoreError)",
    130: "interrupted (Ctrl-C)",
}

_STORAGE_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EROFS, errno.EACCES, errno.EPERM}


def say_error(command: str, error: BaseException) -> int:
    """Print ``error`` on one line (credentials redacted) for ``gapeval COMMAND``; return its exit status."""
    from gapeval.store.redact import scrub

    message = " ".join(_plain(error).split()) or type(error).__name__
    print(f"gapeval {command}: error: {scrub(message)}", file=sys.stderr)
    if isinstance(error, OSError) and not isinstance(error, FileNotFoundError | FileExistsError):
        return 4
    return int(getattr(error, "exit_code", 2))


def _plain(error: BaseException) -> str:
    """The message of ``error``; pydantic's multi-line report becomes its first problem, without the web link."""
    if type(error).__name__ == "ValidationError" and hasattr(error, "errors"):
        first = error.errors()[0]
        field = ".".join(map(str, first.get("loc", ()))) or "value"
        return f"{getattr(error, 'title', 'record')}: {field}: {str(first.get('msg', '')).removeprefix('Value error, ')}"
    if isinstance(error, UnicodeDecodeError):
        return f"{error.reason} (byte 0x{error.object[error.start]:02x} at offset {error.start}): a file is not UTF-8 text"
    return str(error)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (:data:`EXIT_CODES`: 0 done, 2 bad input,
    3 incomplete run, 4 unusable store or folder, 130 interrupted)."""
    # JAX reads this once, when it starts: one host device per core lets NUTS chains run in parallel.
    os.environ.setdefault("XLA_FLAGS", f"--xla_force_host_platform_device_count={os.cpu_count() or 1}")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (ValueError, FileNotFoundError, IsADirectoryError, NotADirectoryError, FileExistsError) as error:
        return say_error(args.command, error)
    except OSError as error:
        if error.errno not in _STORAGE_ERRNOS:
            raise
        return say_error(args.command, error)  # a full disk or a read-only folder outside a store
    except KeyboardInterrupt:
        print(f"gapeval {args.command}: interrupted", file=sys.stderr)
        return 130
