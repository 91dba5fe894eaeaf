"""``gapeval fit`` (gap scores of a run or long table) and ``gapeval report`` (the report folder).

The handlers import the report library (pandas, JAX) when they run, never at import.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, metavar="RUN_DIR_OR_TABLE",
                        help="a run folder (gapeval run) or a long table (.csv / .parquet)")
    parser.add_argument("--scorer", help="which scores of a run folder (default: the only one)")
    parser.add_argument("--inference", choices=("svi", "nuts"), default="svi",
                        help="svi: seconds, approximate intervals (default); nuts: exact posterior")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--level", type=float, default=0.95, help="interval level")
    parser.add_argument("--svi-steps", type=int, default=3000, dest="svi_steps",
                        help="optimisation steps of --inference svi (default 3000)")


def register(subparsers: Any) -> None:
    """Add ``fit`` and ``report`` to the ``gapeval`` command line."""
    fit = subparsers.add_parser("fit", help="gap scores of a run or long table (joint 2-D IRT)")
    _source_arguments(fit)
    fit.add_argument("-o", "--output", type=Path, help="also write the table (.csv)")
    fit.set_defaults(handler=_fit)
    report = subparsers.add_parser("report", help="tables, figures and an index for a run")
    _source_arguments(report)
    report.add_argument("--out", type=Path, required=True, help="the report folder")
    report.add_argument("--decay-binomial", choices=("nuts", "vb"), default="nuts", dest="decay_binomial",
                        help="decay fit of 0/1 scores: nuts (honest intervals, ~1 min; default) or vb "
                             "(seconds, intervals far too narrow)")
    report.set_defaults(handler=_report)


def _fit(args: argparse.Namespace) -> int:
    from gapeval.report.analyses import gap_outcome
    from gapeval.report.protocol_part import by_respondent
    from gapeval.report.sources import load_responses

    responses, _ = load_responses(args.source, scorer=args.scorer)
    outcome = gap_outcome(by_respondent(responses), inference=args.inference, seed=args.seed, level=args.level,
                          num_steps=args.svi_steps)
    if outcome.skipped:
        raise ValueError(f"no gap scores: {outcome.skipped}")
    gaps = outcome.results["gaps"]
    columns = ["model", "gap", "gap_lower", "gap_upper", "p_gap_positive", "theta_understanding",
               "theta_generation", "n_understanding", "n_generation"]
    print(gaps[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"scale {gaps.attrs.get('scale')}, {gaps.attrs.get('level'):.0%} {gaps.attrs.get('interval')}, "
          f"inference {gaps.attrs.get('inference')}")
    if args.output is not None:
        gaps[columns].to_csv(args.output, index=False)
        print(f"wrote {args.output}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from gapeval.report.build import build_report
    from gapeval.report.sources import load_responses, load_steps, load_verdicts

    responses, manifest = load_responses(args.source, scorer=args.scorer)
    report = build_report(responses, args.out, manifest=manifest, inference=args.inference,
                          seed=args.seed, level=args.level, gap_options={"num_steps": args.svi_steps},
                          decay_binomial=args.decay_binomial, steps=load_steps(args.source),
                          verdicts=load_verdicts(args.source, scorer=args.scorer))
    for name, outcome in report.outcomes.items():
        if outcome.skipped:
            print(f"{name}: not estimated: {outcome.skipped}")
    print(f"wrote {len(report.files)} files; open {report.index}")
    return 0
