"""``gapeval import-results FORMAT SRC -o TABLE``: an anchor's own results as the long responses table.

FORMAT is ``gapeval``, ``imug`` or ``realunify``; SRC the folder the anchor's pipeline wrote (or, for
GapEval, a four-cell proportions file with ``--pairs``). The table (``.parquet`` or ``.csv``) is
what ``gapeval fit`` and ``gapeval report`` take; the command prints what it read and what it
skipped (:mod:`gapeval.results_import`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _counts(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or N1,N2,... (pairs per row), got {text!r}") from None
    if any(value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"pair counts must be at least 1, got {text!r}")
    return values


def register(subparsers: Any) -> None:
    """Add ``import-results`` to the ``gapeval`` command line."""
    command = subparsers.add_parser(
        "import-results", help="turn GapEval, IMUG-Bench or RealUnify results into the long responses table")
    command.add_argument("format", choices=["gapeval", "imug", "realunify"],
                         help="which benchmark's results layout SRC has")
    command.add_argument("source", type=Path, help="the folder the anchor's pipeline wrote (GapEval: or a "
                                                   "proportions .json file)")
    command.add_argument("-o", "--output", type=Path, required=True, help="the table to write (.parquet or .csv)")
    command.add_argument("--pairs", type=_counts, default=None,
                         help="GapEval proportions only: pairs behind each row (N, or N1,N2,... per row)")
    command.add_argument("--categories", default=None,
                         help="GapEval proportions only: the rows' category names, comma-separated")
    command.set_defaults(handler=_import_results)


def _import_results(args: argparse.Namespace) -> int:
    from gapeval.results_import import IMPORTERS, write_table

    options: dict[str, Any] = {}
    if args.format == "gapeval" and (args.pairs is not None or args.categories is not None):
        pairs = args.pairs
        options["pairs"] = pairs[0] if pairs is not None and len(pairs) == 1 else pairs
        options["categories"] = args.categories.split(",") if args.categories else None
    elif args.pairs is not None or args.categories is not None:
        raise ValueError(f"--pairs and --categories apply to GapEval proportions files, not to {args.format}")
    results = IMPORTERS[args.format](args.source, **options)
    path = write_table(results, args.output)
    print(results.report())
    print(f"wrote {len(results.table)} rows to {path}")
    return 0
