"""``gapeval score RUN_DIR``: score (or re-score) a run's stored answers without calling its models.

The scores go to the run's store under a name that identifies the configuration (``rules-fixed``,
``rules-compat``, ``rules-fixed+judge-1a2b3c4d``...; see :mod:`gapeval.scoring.run_scoring`), or
under ``--name``. ``--judge ADAPTER[:key=value,...]`` builds a judge from any adapter (the same spec
syntax as ``gapeval run --model``); its replies are cached in ``RUN_DIR/judge_cache.sqlite``.
"""

from __future__ import annotations

import argparse
from typing import Any

from gapeval.cli.run import add_progress_arguments, progress_from_args

__all__ = ["register", "run_score"]


def _close(adapter: Any, judge: Any) -> None:
    import asyncio
    import inspect

    closing = adapter.close()
    if inspect.isawaitable(closing):
        loop = getattr(judge, "_loop", None)
        if loop is not None:
            loop.run_until_complete(closing)
        else:
            asyncio.run(closing)
    judge.close()


def _attempts(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def run_score(args: argparse.Namespace) -> int:
    """Score the run of ``args`` and print the summary table (the handler of ``gapeval score``)."""
    from gapeval.scoring.run_scoring import score_run

    options = {
        "scorer_name": args.name,
        "mcq_mode": args.mcq_mode,
        "mcq_rule": args.mcq_rule,
        "text_mode": args.text_mode,
        "number_mode": args.number_mode,
        "judge_mode": args.judge_mode,
        "judge_attempts": args.judge_attempts,
        "rescore": args.rescore,
        "bank": args.bank,
        "dry_run": args.dry_run,
        "progress": progress_from_args(args).counter("scoring", unit="answers"),
    }
    if args.judge is None:
        summary = score_run(args.run_dir, **options)
    else:
        from gapeval.adapters.registry import create_adapter
        from gapeval.model_spec import parse_model_spec
        from gapeval.scoring.judge_adapter import adapter_judge

        from gapeval.store.redact import secrets_in

        spec = parse_model_spec(args.judge)
        adapter = create_adapter(spec.adapter, spec.options)
        adapter.load()
        judge = adapter_judge(adapter, model_name=spec.name, seed=args.judge_seed)
        try:
            summary = score_run(args.run_dir, judge=judge, secrets=secrets_in(spec.options), **options)
        finally:
            _close(adapter, judge)
    print(summary)
    return 0


def _handle(args: argparse.Namespace) -> int:
    from gapeval.cli import say_error
    from gapeval.errors import GapevalError

    try:
        return run_score(args)
    except (GapevalError, FileNotFoundError) as error:
        return say_error("score", error)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gapeval score`` to the command line."""
    parser = subparsers.add_parser(
        "score",
        help="score a run's stored answers (rules, verifiers, judges) without calling its models",
        description=__doc__.splitlines()[0].replace("``", ""),  # plain text: no reST marks in --help
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run folder (its store)")
    parser.add_argument("--mcq-mode", choices=("compat", "fixed"), default="fixed",
                        help="IMUG-Bench MCQ rule: reference behaviour or letters read together")
    parser.add_argument("--mcq-rule", choices=("imug", "realunify"), default="imug",
                        help="multiple-choice scorer (realunify: single-letter extraction)")
    parser.add_argument("--text-mode", choices=("exact", "normalized", "contains"), default="normalized",
                        help="text answers: the reply equals an alias (exact, or after normalising) or "
                             "contains one as whole words (default: normalized)")
    parser.add_argument("--number-mode", choices=("lenient", "strict"), default="lenient",
                        help="numeric answers: the number after 'answer is' or the last one (lenient, "
                             "the default), or the reply must be one number (strict)")
    parser.add_argument("--name", help="score name to write (default: one naming the configuration)")
    parser.add_argument("--judge", metavar="ADAPTER_SPEC",
                        help="judge adapter, ADAPTER[:key=value,...]; needed for evaluation points")
    parser.add_argument("--judge-mode", choices=("compat", "fixed"), default="fixed",
                        help="judge reply parsers: the anchors' (compat) or strict/robust (fixed)")
    parser.add_argument("--judge-attempts", type=_attempts, default=3, help="calls per judge question at most")
    parser.add_argument("--judge-seed", type=int, default=0, help="base seed of the judge's turns")
    add_progress_arguments(parser)
    parser.add_argument("--bank", help="bank folder or 'builtin' (default: the one in the manifest)")
    parser.add_argument("--dry-run", action="store_true", dest="dry_run",
                        help="score and print the summary without writing anything (the store is opened read-only)")
    parser.add_argument("--rescore", action="store_true",
                        help="recompute answers already scored under the name and replace changed scores")
    parser.set_defaults(handler=_handle)  # fmt: skip
