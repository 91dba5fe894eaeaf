"""``gapeval agreement``: agreement between two rating columns of a CSV or Parquet file.

``--kind points`` reports Pearson's r, Spearman's ρ and Krippendorff's α (interval);
``--kind categories`` reports Cohen's κ and Krippendorff's α (nominal). Each row carries its
bootstrap interval, the number of units, resamples and the seed. The table is
:func:`gapeval.scoring.agreement_table.agreement_table`, imported when the command runs.
"""

from __future__ import annotations

import argparse

__all__ = ["register"]


def _handle(args: argparse.Namespace) -> int:
    from gapeval.scoring.agreement_table import agreement_table, read_ratings

    table = agreement_table(
        read_ratings(args.file),
        a=args.a,
        b=args.b,
        kind=args.kind,
        n_boot=args.n_boot,
        level=args.level,
        seed=args.seed,
    )
    if args.format == "csv":
        print(table.to_csv(index=False), end="")
    else:
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gapeval agreement`` to the command line."""
    parser = subparsers.add_parser(
        "agreement",
        help="agreement statistics between two rating columns (r, rho, kappa, alpha)",
        description=__doc__.splitlines()[0].replace("``", ""),  # plain text: no reST marks in --help
    )
    parser.add_argument("file", help="CSV or Parquet file, one row per rated unit")
    parser.add_argument("--a", required=True, metavar="COL", help="first rating column")
    parser.add_argument("--b", required=True, metavar="COL", help="second rating column")
    parser.add_argument("--kind", choices=("points", "categories"), default="points",
                        help="points on a scale (Pearson r, Spearman rho, interval alpha) or categories "
                             "(Cohen kappa, nominal alpha)")
    parser.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (0: none)")
    parser.add_argument("--level", type=float, default=0.95, help="interval coverage")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap generator")
    parser.add_argument("--format", choices=("text", "csv"), default="text", help="output as text or CSV")
    parser.set_defaults(handler=_handle)
