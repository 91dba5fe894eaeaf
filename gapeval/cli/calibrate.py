"""``gapeval calibrate``: calibrate a bank on a reference cohort and write the calibration file (JSON).

The fit is :func:`gapeval.calibration.calibrate` (the Gap Score model, NUTS by default) on the
standalone items of a run folder or a long table; the file keeps the items' parameters with their
posterior uncertainty, the bank's content hash and the scale (``docs/adaptive.md``). Imports happen
when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gapeval.cli.report import COLUMN_ROLES, add_sampler_arguments, sampler_options
from gapeval.cli.run import add_fingerprint_argument, fingerprint_choices

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``gapeval calibrate`` to the command line."""
    parser = subparsers.add_parser("calibrate", help="calibrate a bank on a reference cohort (for fixed-item "
                                                    "scoring and adaptive runs)",
                                   description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("source", type=Path, metavar="RUN_DIR_OR_TABLE",
                        help="a run folder (gapeval run) or a long table (.csv / .parquet) of the reference cohort")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the calibration file to write (.json)")
    group = parser.add_argument_group("column names of a .csv/.parquet table (default: the role's name)")
    for role in COLUMN_ROLES:
        group.add_argument(f"--{role}-col", dest=f"{role}_col", metavar="NAME", help=f"the {role} column")
    parser.add_argument("--scorer", help="which scores of a run folder (default: the only one)")
    parser.add_argument("--bank", default=None, metavar="PATH",
                        help="the bank the table's items come from (a folder, or 'builtin'): its content hash is "
                             "recorded (a run folder's manifest gives it otherwise)")
    parser.add_argument("--num-draws", type=int, default=None, dest="num_draws",
                        help="joint posterior draws kept (default: the library's, 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fit (default 0)")
    parser.add_argument("--judge-calibration", type=Path, default=None, dest="judge_calibration", metavar="FILE",
                        help="judge calibration table (.csv/.parquet: judge, judge_label, human_label): the "
                             "judges' error rates are calibrated with the items")
    add_fingerprint_argument(parser)
    add_sampler_arguments(parser)
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from gapeval.calibration import calibrate, save_calibration
    from gapeval.files import output_file
    from gapeval.report.protocol_part import by_respondent
    from gapeval.report.sources import load_judge_calibration, load_responses
    from gapeval.responses import Columns

    output_file(args.output, what="calibration file")
    given = {role: getattr(args, f"{role}_col") for role in COLUMN_ROLES if getattr(args, f"{role}_col") is not None}
    responses, manifest = load_responses(args.source, scorer=args.scorer, columns=Columns(**given) if given else None,
                                         fingerprints=fingerprint_choices(args.fingerprints))
    bank_hash = (manifest or {}).get("bank_hash")
    if args.bank is not None:
        from gapeval.bank.io import bank_hash as hash_of

        bank_hash = hash_of(args.bank)
    rows = by_respondent(responses)
    if "session" in rows.columns and rows["session"].notna().any():
        print(f"calibrating the standalone items; {int(rows['session'].notna().sum())} dialogue answers left out")
        rows = rows[rows["session"].isna()]
    options = sampler_options(args)
    if args.judge_calibration is not None:
        options["judges"] = load_judge_calibration(args.judge_calibration)
    if args.num_draws is not None:
        options["num_draws"] = args.num_draws
    paired = "pair" in rows.columns and rows["pair"].notna().any()
    cal = calibrate(rows, pair="pair" if paired else None, scale="paired" if paired else "standardized",
                    seed=args.seed, bank_hash=bank_hash, **options)
    save_calibration(cal, args.output)
    diagnostics = cal.fit.get("diagnostics", {})
    print(f"calibrated {cal.num_items} items on {len(cal.cohort)} models ({cal.scale} scale, {cal.num_draws} draws, "
          f"{cal.fit.get('inference')}; diagnostics ok: {diagnostics.get('ok')}); bank {bank_hash or 'hash unknown'}")
    print(f"wrote {args.output}")
    return 0
