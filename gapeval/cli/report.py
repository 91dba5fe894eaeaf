"""``gapeval fit`` (gap scores of a run or long table) and ``gapeval report`` (the report folder).

This module also owns the sampler flags shared with ``gapeval demo`` (:func:`add_sampler_arguments`,
:func:`sampler_options`). They default to ``None`` and reach the library only when given, so the
library's options decide the defaults (``docs/inference.md``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gapeval.cli.run import add_fingerprint_argument, add_progress_arguments, fingerprint_choices, progress_from_args
from gapeval.files import output_file, output_folder

__all__ = ["add_sampler_arguments", "register", "sampler_options"]

_LIBRARY_DEFAULT = "default: the library's, see docs/inference.md"

#: Sampler flags (``dest``) that are keyword arguments of :func:`gapeval.gap_score`.
GAP_OPTIONS = ("num_steps", "num_warmup", "num_samples", "num_chains")


def add_sampler_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the gap fit's sampler flags (inference, SVI steps, NUTS warm-up, draws and chains)."""
    parser.add_argument("--inference", choices=("svi", "nuts"), default=None,
                        help=f"svi: seconds, approximate intervals; nuts: exact posterior ({_LIBRARY_DEFAULT})")
    parser.add_argument("--svi-steps", type=int, default=None, dest="num_steps",
                        help=f"optimisation steps of --inference svi ({_LIBRARY_DEFAULT})")
    parser.add_argument("--num-warmup", type=int, default=None, dest="num_warmup",
                        help=f"NUTS warm-up draws per chain ({_LIBRARY_DEFAULT})")
    parser.add_argument("--num-samples", type=int, default=None, dest="num_samples",
                        help=f"NUTS draws kept per chain ({_LIBRARY_DEFAULT})")
    parser.add_argument("--num-chains", type=int, default=None, dest="num_chains",
                        help=f"NUTS chains ({_LIBRARY_DEFAULT})")


def sampler_options(args: argparse.Namespace) -> dict[str, Any]:
    """The gap fit's sampler flags the user set, as keyword arguments of :func:`gapeval.gap_score`.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> add_sampler_arguments(parser)
    >>> sampler_options(parser.parse_args(["--svi-steps", "300"]))
    {'num_steps': 300}
    >>> sampler_options(parser.parse_args([]))
    {}
    """
    return {name: getattr(args, name) for name in ("inference", *GAP_OPTIONS) if getattr(args, name) is not None}


#: Roles of the long table whose column a table file may name otherwise (``--model-col NAME`` ...).
COLUMN_ROLES = ("model", "item", "direction", "score", "pair", "session", "turn", "protocol")


def _source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, metavar="RUN_DIR_OR_TABLE",
                        help="a run folder (gapeval run) or a long table (.csv / .parquet)")
    group = parser.add_argument_group("column names of a .csv/.parquet table (default: the role's name)")
    for role in COLUMN_ROLES:
        group.add_argument(f"--{role}-col", dest=f"{role}_col", metavar="NAME", help=f"the {role} column")
    parser.add_argument("--scorer", help="which scores of a run folder (default: the only one)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every fit (default 0)")
    parser.add_argument("--level", type=float, default=0.95, help="interval level")
    add_fingerprint_argument(parser)
    parser.add_argument("--judge-calibration", type=Path, default=None, dest="judge_calibration", metavar="FILE",
                        help="judge calibration table (.csv/.parquet: judge, judge_label, human_label): the "
                             "judges' error rates enter the gap (the table's rows with a judge id are judge labels)")
    add_sampler_arguments(parser)


def register(subparsers: Any) -> None:
    """Add ``fit`` and ``report`` to the ``gapeval`` command line."""
    fit = subparsers.add_parser("fit", help="gap scores of a run or long table (joint 2-D IRT)")
    _source_arguments(fit)
    fit.add_argument("-o", "--output", type=Path, help="also write the table (.csv)")
    fit.set_defaults(handler=_fit)
    report = subparsers.add_parser("report", help="tables, figures and an index for a run")
    _source_arguments(report)
    report.add_argument("--out", type=Path, required=True, help="the report folder")
    report.add_argument("--decay-binomial", choices=("laplace", "nuts", "vb"), default=None, dest="decay_binomial",
                        help="decay fit of 0/1 scores: laplace (glmer's), nuts (Bayesian, slower) or "
                             f"vb (seconds, intervals far too narrow) ({_LIBRARY_DEFAULT})")
    add_progress_arguments(report)
    report.set_defaults(handler=_report)


def _columns(args: argparse.Namespace) -> Any:
    """The ``--ROLE-col`` flags given, as a :class:`gapeval.responses.Columns` (None when none is given)."""
    from gapeval.responses import Columns

    given = {role: getattr(args, f"{role}_col") for role in COLUMN_ROLES if getattr(args, f"{role}_col") is not None}
    return Columns(**given) if given else None


def _gap_keywords(args: argparse.Namespace) -> dict[str, Any]:
    """The sampler flags the user set and the judge calibration table, as :func:`gapeval.gap_score` keywords."""
    from gapeval.report.sources import load_judge_calibration

    options = sampler_options(args)  # what the user set; the rest are the library's defaults (gapeval.sampling)
    if args.judge_calibration is not None:
        options["judges"] = load_judge_calibration(args.judge_calibration)
    return options


def _fit(args: argparse.Namespace) -> int:
    from gapeval.report.analyses import gap_outcome
    from gapeval.report.protocol_part import by_respondent
    from gapeval.report.sources import load_responses

    if args.output is not None:
        output_file(args.output, what="gap table file")
    responses, _ = load_responses(args.source, scorer=args.scorer, columns=_columns(args),
                                  fingerprints=fingerprint_choices(args.fingerprints))
    options = _gap_keywords(args)
    outcome = gap_outcome(by_respondent(responses), seed=args.seed, level=args.level, **options)
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

    output_folder(args.out, what="report folder")
    fingerprints = fingerprint_choices(args.fingerprints)
    responses, manifest = load_responses(args.source, scorer=args.scorer, columns=_columns(args),
                                         fingerprints=fingerprints)
    options = _gap_keywords(args)
    chosen = {"inference": options.pop("inference")} if "inference" in options else {}
    if args.decay_binomial is not None:
        chosen["decay_binomial"] = args.decay_binomial
    report = build_report(responses, args.out, manifest=manifest, seed=args.seed, level=args.level,
                          gap_options=options, steps=load_steps(args.source, fingerprints=fingerprints),
                          verdicts=load_verdicts(args.source, scorer=args.scorer), progress=progress_from_args(args),
                          **chosen)
    for name, outcome in report.outcomes.items():
        if outcome.skipped:
            print(f"{name}: not estimated: {outcome.skipped}")
    print(f"wrote {len(report.files)} files; open {report.index}")
    return 0
