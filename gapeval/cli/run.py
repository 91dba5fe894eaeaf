"""``gapeval run``, ``gapeval export``, ``gapeval verify`` and ``gapeval merge``.

``gapeval run --bank builtin --model procedural --model simulated --out RUN_DIR --seed 0`` answers
the bank with each model into RUN_DIR; running the same command again resumes it (only missing
answers are asked). ``--protocol`` (repeatable) asks every unit under each evaluation protocol
(:mod:`gapeval.protocols`; default ``direct``). ``--dry-run`` prints the plan and the number of
answers without calling a model, after the checks the real run makes first (the resume, each
model's configuration, each adapter's name and options: :func:`gapeval.runner.engine.preflight`).
Exit status: 0 when every call has an answer, 3 when some calls ended in errors (logged in the
store; re-run the same command to retry them), 2 for bad input, 4 when the store cannot be used
(damaged, disk full, read-only; :mod:`gapeval.store.failures`). ``gapeval verify RUN_DIR`` lists
a store's problems (exit 4 when there are some).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gapeval.errors import GapevalError
from gapeval.files import output_file, output_folder

__all__ = ["register"]

INCOMPLETE = 3


def add_progress_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--quiet`` and ``--progress`` (one of them at most) to a command's ``parser``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quiet", action="store_true", help="no progress display")
    group.add_argument("--progress", action="store_true",
                       help="show progress even when standard error is not a terminal (a log file); by default "
                            "it shows on a terminal only")


def progress_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~gapeval.progress.Progress` that ``--quiet`` / ``--progress`` ask for."""
    from gapeval.progress import Progress

    return Progress(enabled=False if args.quiet else (True if args.progress else None))


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML run config (flags override it)")
    parser.add_argument("--bank", help="'builtin' (default) or a bank folder")
    parser.add_argument(
        "--model", action="append", default=[], metavar="SPEC",
        help="ADAPTER[:key=value,...], repeatable; e.g. simulated:theta_understanding=1,name=sim-a",
    )
    parser.add_argument(
        "--protocol", action="append", default=[], metavar="SPEC",
        help="evaluation protocol KIND[:key=value,...], repeatable (default direct): direct, cot, "
        "stepwise, self-verify[:rounds=R], best-of-n[:n=N,picker=self|first]; see docs/protocols.md",
    )
    parser.add_argument("--out", type=Path, required=True, help="run folder (resumed if it exists)")
    parser.add_argument("--seed", type=int, help="run seed (default 0)")
    parser.add_argument("--samples", type=int, help="answers per item and turn (default 1)")
    parser.add_argument("--history", choices=("bank", "self", "gold"), help="dialogue history")
    parser.add_argument("--include", choices=("all", "items", "dialogues"), help="part of the bank")
    parser.add_argument("--limit", type=int, help="only the first N items and N dialogues")
    parser.add_argument("--shard", metavar="K/N", help="answer only shard K of N (merge later)")
    parser.add_argument("--max-retries", type=int, dest="max_retries",
                        help="retries of a transient error (rate limit, time-out) before it is logged (default 3)")
    parser.add_argument("--backoff", type=float, dest="backoff_s", help="first back-off, seconds")
    parser.add_argument("--timeout", type=float, dest="timeout_s", help="per-call time-out (HTTP)")
    parser.add_argument("--max-wait", type=float, dest="max_wait_s",
                        help="longest wait before one retry, seconds (default 120); a longer Retry-After "
                        "ends the call as a logged error, retried by the next run")  # fmt: skip
    parser.add_argument("--max-call-time", type=float, dest="max_call_s",
                        help="longest time one call may spend retrying, seconds (default 600)")
    parser.add_argument("--concurrency", type=int, help="HTTP calls in flight at once")
    parser.add_argument("--max-text-bytes", type=int, dest="max_text_bytes",
                        help="largest text answer stored (default 1 MiB); a longer one is a logged error")
    parser.add_argument("--max-image-bytes", type=int, dest="max_image_bytes",
                        help="largest image answer stored (default 32 MiB); a larger one is a logged error")
    parser.add_argument("--batch-size", type=int, dest="batch_size",
                        help="requests per call of a local model (default: the adapter's largest batch)")
    parser.add_argument("--temperature", type=float, help="sampling temperature of every model (default: its own)")
    parser.add_argument("--max-new-tokens", type=int, dest="max_new_tokens",
                        help="longest reply in tokens (default: each adapter's)")
    parser.add_argument(
        "--allow-changed-config", action="store_true", dest="allow_changed_config",
        help="resume a model name whose configuration changed (recorded; exports then ask which to use)",
    )
    parser.add_argument("--no-score", action="store_true", help="answer only; score later")
    parser.add_argument("--dry-run", action="store_true", help="print the plan; call nothing")
    add_progress_arguments(parser)
    adaptive = parser.add_argument_group("adaptive testing (ask each model only what a calibration says tells most)")
    adaptive.add_argument("--adaptive", action="store_true",
                          help="ask each model the units that most narrow its gap's interval, a few at a time, "
                          "until --target-width or --max-calls (needs --calibration)")  # fmt: skip
    adaptive.add_argument("--calibration", type=Path, metavar="FILE",
                          help="calibration file of the bank (gapeval calibrate); recorded with its sha256")
    adaptive.add_argument("--target-width", type=float, dest="target_width", metavar="W",
                          help="stop asking a model when its gap's interval is this narrow (e.g. 0.5)")
    adaptive.add_argument("--max-calls", type=int, dest="max_calls", metavar="N",
                          help="most model calls per model, counted from the store (default: no limit)")
    adaptive.add_argument("--batch", type=int, dest="adaptive_batch", metavar="K",
                          help="units chosen per step and asked together (default 4; not --batch-size, "
                          "the requests per model call)")  # fmt: skip
    ray = parser.add_argument_group("Ray (many GPUs or machines; needs gapeval[ray])")
    ray.add_argument("--ray", action="store_true", help="run the shards as Ray tasks, then merge")
    ray.add_argument("--ray-address", dest="ray_address", help="cluster address (default: local)")
    ray.add_argument("--ray-shards", type=int, default=2, dest="ray_shards", help="number of shards")
    ray.add_argument("--gpus-per-shard", type=float, default=0.0, dest="gpus_per_shard",
                     help="GPUs each Ray task reserves (default 0: CPU)")


def add_fingerprint_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--fingerprint MODEL=DIGEST`` (repeatable): which configuration of a model to read."""
    parser.add_argument(
        "--fingerprint", action="append", default=[], metavar="MODEL=DIGEST", dest="fingerprints",
        help="for a model answered under several configurations, the one to use (digest or prefix)",
    )


def fingerprint_choices(texts: list[str]) -> dict[str, str]:
    """``{model: digest}`` of ``--fingerprint MODEL=DIGEST`` flags.

    Examples
    --------
    >>> fingerprint_choices(["sim=1a2b3c"])
    {'sim': '1a2b3c'}
    """
    chosen: dict[str, str] = {}
    for text in texts:
        model, equals, digest = text.partition("=")
        if not (equals and model and digest):
            raise GapevalError(f"--fingerprint {text!r}: write MODEL=DIGEST, e.g. --fingerprint sim-a=1a2b3c4d")
        chosen[model] = digest
    return chosen


def register(subparsers: Any) -> None:
    """Add ``run``, ``export``, ``verify`` and ``merge`` to the ``gapeval`` command line."""
    run = subparsers.add_parser("run", help="answer a bank with models into a resumable store")
    _run_arguments(run)
    # each RunConfig field's flag, so that an invalid value is reported under the flag the user typed
    run.set_defaults(handler=_run, flag_of={action.dest: max(action.option_strings, key=len)
                                            for action in run._actions if action.option_strings})

    export = subparsers.add_parser("export", help="write a run's long responses table")
    export.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the run folder (its store)")
    export.add_argument("-o", "--output", type=Path, required=True, help="FILE.parquet or FILE.csv")
    export.add_argument("--scorer", help="which scores (default: the only scorer in the store)")
    export.add_argument("--include-unscored", action="store_true", dest="include_unscored",
                        help="also answers without a score (refusals, unsupported turns), score empty")
    export.add_argument("--include-errors", action="store_true", dest="include_errors",
                        help="also one row (status error, score empty) per request that only failed")
    export.add_argument(
        "--steps", choices=("final", "answers", "all"), default="final",
        help="protocol steps as rows: final answers (default), also candidates, or every step",
    )
    add_fingerprint_argument(export)
    export.set_defaults(handler=_export)

    verify = subparsers.add_parser("verify", help="check a run folder's store (database, rows, images)")
    verify.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the run folder to check")
    verify.set_defaults(handler=_verify)

    merge = subparsers.add_parser("merge", help="merge the stores of a sharded run")
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD_DIR", help="the shards' run folders")
    merge.add_argument("-o", "--out", type=Path, required=True, help="the merged run folder")
    merge.set_defaults(handler=_merge)


def config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~gapeval.runner.config.RunConfig` of parsed ``gapeval run`` flags."""
    from gapeval.model_spec import parse_model_spec
    from gapeval.records import Decoding
    from gapeval.runner.config import build_config, load_config, parse_shard

    flags: dict[str, Any] = {
        name: getattr(args, name)
        for name in (
            "bank", "seed", "samples", "history", "include", "limit", "max_retries", "backoff_s",
            "timeout_s", "max_wait_s", "max_call_s", "concurrency", "batch_size", "max_text_bytes",
            "max_image_bytes",
        )
        if getattr(args, name) is not None
    }
    if args.model:
        flags["models"] = tuple(parse_model_spec(text) for text in args.model)
    if args.protocol:
        from gapeval.protocols.spec import parse_protocol_spec

        flags["protocols"] = tuple(parse_protocol_spec(text) for text in args.protocol)
    if args.shard:
        flags["shard"] = parse_shard(args.shard)
    if args.no_score:
        flags["score"] = False
    if args.allow_changed_config:
        flags["allow_changed_config"] = True
    if args.adaptive:
        flags["adaptive"] = _adaptive_settings(args)
    elif any(getattr(args, name) is not None for name in ("calibration", "target_width", "max_calls", "adaptive_batch")):
        raise GapevalError("--calibration, --target-width, --max-calls and --batch belong to --adaptive; add --adaptive")
    decoding = {
        name: getattr(args, name)
        for name in ("temperature", "max_new_tokens")
        if getattr(args, name) is not None
    }
    if args.config is not None:
        config = load_config(args.config, overrides=flags)
        if decoding:
            merged = config.decoding.model_copy(update=decoding)
            config = config.model_copy(update={"decoding": Decoding.model_validate(merged.model_dump())})
        return config
    if decoding:
        flags["decoding"] = Decoding(**decoding)
    flags.setdefault("models", ())
    try:
        return build_config(flags, where="flags")
    except GapevalError as error:
        raise GapevalError(_as_flags(str(error).removeprefix("flags: "), args)) from None


def _as_flags(problem: str, args: argparse.Namespace) -> str:
    """``samples: Input should be ...`` -> ``--samples 0: Input should be ...`` (the flag and the value typed)."""
    field, colon, rest = problem.partition(": ")
    flag = getattr(args, "flag_of", {}).get({"models": "model", "protocols": "protocol"}.get(field, field))
    if not colon or flag is None:
        return f"flags: {problem}"
    value = getattr(args, field, None)
    return f"{flag}{'' if value in (None, [], ()) else f' {value}'}: {rest}"


def _adaptive_settings(args: argparse.Namespace) -> Any:
    """The :class:`~gapeval.runner.config.AdaptiveSettings` of ``--adaptive`` and its flags."""
    from pydantic import ValidationError

    from gapeval.adaptive.factory import file_sha256
    from gapeval.runner.config import AdaptiveSettings, ConfigError

    if args.calibration is None or args.target_width is None:
        raise GapevalError("--adaptive needs --calibration FILE and --target-width W, e.g. "
                           "--adaptive --calibration calibration.json --target-width 0.5")  # fmt: skip
    try:
        return AdaptiveSettings(
            chooser="GapVarianceChooser", calibration=str(args.calibration),
            calibration_sha256=file_sha256(args.calibration), target_width=args.target_width,
            max_calls=args.max_calls, **({} if args.adaptive_batch is None else {"batch": args.adaptive_batch}),
        )  # fmt: skip
    except ValidationError as error:  # pydantic's report of a bad number
        problem = error.errors()[0]
        flag = {"target_width": "--target-width", "max_calls": "--max-calls", "batch": "--batch"}[problem["loc"][0]]
        raise ConfigError(f"{flag}: {problem['msg']}") from None


def _plan_units(plan: Any) -> list[tuple[str, int | None]]:
    """``(unit, turn)`` of every answer in ``plan`` (turn ``None`` for a standalone item)."""
    return [(item.id, None) for item in plan.items] + [
        (dialogue.id, turn) for dialogue in plan.dialogues for turn in range(1, len(dialogue.turns) + 1)
    ]


def _dry_run(config: Any, out: Path) -> int:
    from gapeval.bank import load_bank
    from gapeval.runner.engine import preflight
    from gapeval.runner.plan import build_plan

    output_folder(out, what="run folder")
    bank = load_bank(config.bank)
    plans = {spec.name: build_plan(bank, config, spec) for spec in config.models}
    plan = build_plan(bank, config)
    stored = 0
    if not (out / "answers.sqlite").exists():
        preflight(config, None)
    else:
        from gapeval.store import Store

        with Store(out, readonly=True) as store:
            preflight(config, store)
            planned = {
                (spec.name, protocol.name, unit, turn, sample)
                for spec in config.models
                for unit, turn in _plan_units(plans[spec.name])
                for protocol in config.protocols
                for sample in range(config.samples)
            }
            stored = sum(
                1 for key in store.keys()
                if key.step == "final" and (key.model, key.protocol, key.unit, key.turn, key.sample) in planned
            )
    total = sum(p.calls_per_model for p in plans.values())
    turns = sum(len(d.turns) for d in plan.dialogues)
    print(f"bank: {config.bank} ({bank.hash[:19]})")
    shard = "" if config.shard is None else f" in shard {config.shard.index}/{config.shard.count}"
    print(f"units{shard}: {len(plan.items)} items, {len(plan.dialogues)} dialogues ({turns} turns)")
    print(f"samples: {config.samples}; seed: {config.seed}; history: {config.history}")
    for protocol in config.protocols:
        print(f"protocol {protocol.name}: {protocol.kind}; extra calls per answer: {protocol.extra_calls}")
    for spec in config.models:
        calls = plans[spec.name].calls_per_model
        print(f"model {spec.name}: adapter {spec.adapter} {spec.options or ''}".rstrip() + f"; {calls} answers")
    print(f"answers: {total} planned, {stored} already stored, {total - stored} to give")
    if config.adaptive is not None:
        adaptive = config.adaptive
        print(f"adaptive: {adaptive.chooser} from {adaptive.calibration} ({adaptive.calibration_sha256[:12]}), "
              f"target width {adaptive.target_width}, {adaptive.batch} units per step, "
              f"at most {adaptive.max_calls or 'every planned'} calls per model")  # fmt: skip
    return 0


def _run(args: argparse.Namespace) -> int:
    from gapeval.runner.engine import run
    config = config_from_args(args)
    if args.dry_run:
        return _dry_run(config, args.out)
    if args.ray:
        if config.adaptive is not None:
            raise GapevalError("--adaptive runs each model in one process; drop --ray")
        return _run_ray(config, args)
    progress = progress_from_args(args)
    if config.adaptive is not None:
        from gapeval.adaptive import calibrated_chooser, run_adaptive
        from gapeval.bank import load_bank

        chooser = calibrated_chooser(config.adaptive.calibration, target_width=config.adaptive.target_width,
                                     bank=load_bank(config.bank))
        report = run_adaptive(config, args.out, chooser=chooser, progress=progress)
    else:
        report = run(config, args.out, progress=progress)
    for model in report.models:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(model.statuses.items()))
        stopped = "" if model.stopped is None else f"; stopped: {model.stopped}"
        print(
            f"{model.name}: {counts or 'nothing new'}; {model.skipped} already stored; "
            f"{model.calls} calls; {model.seconds:.1f} s{stopped}"
        )
    if config.score:
        _score(args.out, quiet=args.quiet, config=config, progress=progress)
    if not report.complete:
        failed = sum(model.errors for model in report.models)
        print(
            f"gapeval run: {failed} calls ended in errors (see the store's error log); "
            "re-run the same command to retry them",
            file=sys.stderr,
        )
        for model in report.models:
            if model.first_error:
                print(f"gapeval run: {model.name}: first error: {model.first_error}", file=sys.stderr)
        return INCOMPLETE
    return 0


def _run_ray(config: Any, args: argparse.Namespace) -> int:
    from gapeval.runner.ray_backend import RayOptions, run_on_ray

    if args.ray_shards < 1:
        raise GapevalError(f"--ray-shards {args.ray_shards}: give at least 1")
    options = RayOptions(
        num_shards=args.ray_shards, address=args.ray_address, gpus_per_shard=args.gpus_per_shard
    )
    summaries = run_on_ray(config, args.out, options)
    for summary in summaries:
        for name, counts in summary["models"].items():
            statuses = ", ".join(f"{n} {s}" for s, n in sorted(counts["statuses"].items()))
            print(f"{summary['folder']}: {name}: {statuses or 'nothing new'}; {counts['skipped']} already stored")
    if config.score:
        _score(args.out, quiet=args.quiet, config=config, progress=progress_from_args(args))
    if not all(summary["complete"] for summary in summaries):
        print("gapeval run: some calls ended in errors; re-run the same command to retry them", file=sys.stderr)
        return INCOMPLETE
    return 0


def _score(run_dir: Path, *, quiet: bool, config: Any, progress: Any) -> None:
    from gapeval.runner.engine import run_secrets
    from gapeval.scoring.run_scoring import score_run

    summary = score_run(run_dir, secrets=run_secrets(config), progress=progress.counter("scoring", unit="answers"))
    if not quiet:
        print(summary)


def _export(args: argparse.Namespace) -> int:
    from gapeval.store import Store

    suffix = args.output.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise GapevalError(f"cannot write {str(args.output)!r}: use a .csv or .parquet file name")
    output_file(args.output, what="export file")
    from gapeval.report.sources import with_run_chance_levels

    with Store(args.run_dir, readonly=True) as store:
        frame = store.to_frame(
            scorer=args.scorer,
            include_unscored=args.include_unscored,
            include_errors=args.include_errors,
            steps=args.steps,
            fingerprints=fingerprint_choices(args.fingerprints),
        )
        manifests = store.manifests()
    frame = with_run_chance_levels(frame, manifests[-1] if manifests else None, where=repr(str(args.run_dir)))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(args.output, index=False)
    else:
        from gapeval.extras import require

        require("pyarrow", needed_by="gapeval export to parquet")
        frame.to_parquet(args.output, index=False)
    print(f"wrote {len(frame)} rows to {args.output}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from gapeval.store import Store
    from gapeval.store.failures import STORE_EXIT

    with Store(args.run_dir, readonly=True) as store:
        problems = store.verify()
        answers = len(store) if not problems else None
    for problem in problems:
        print(f"problem: {problem}")
    if problems:
        print(f"gapeval verify: {len(problems)} problem(s) in {args.run_dir}", file=sys.stderr)
        return STORE_EXIT
    print(f"ok: {answers} answers, database and images intact")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from gapeval.store import merge

    for shard in args.shards:
        if not (shard / "answers.sqlite").exists():
            raise GapevalError(f"{str(shard)!r} holds no gapeval store (no answers.sqlite)")
    with merge(args.shards, args.out) as merged:
        print(f"merged {len(args.shards)} stores into {args.out}: {len(merged)} answers")
    return 0
