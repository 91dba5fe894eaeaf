"""``gapeval demo``: the whole pipeline on embedded defaults (no GPU, network or weights).

1. **Run**: the built-in bank (standalone items and interleaved dialogues) is answered by the
   procedural baseline — a program that really reads and draws the bank's clean scenes —, by
   simulated respondents with known abilities (one of which decays over dialogue turns), and by a
   tiny random-weight Janus model built on the spot (``OUT/tiny-janus``) through the real
   ``hf-janus`` adapter on the first 160 items (a plumbing check: its answers are those of random
   weights), into a resumable store (``OUT/run``).
2. **Score**: every answer is scored by the rule-based scorers and image verifiers.
3. **Export**: the long responses table (``OUT/report/responses.parquet`` and ``.csv``).
4. **Report**: gap scores with intervals, pairwise comparisons, joint tables, the decay model,
   LaTeX/Markdown tables and figures (``OUT/report``).
5. **Recovery**: the simulated respondents' true gaps beside the estimates.

Re-running the command resumes the run (nothing is asked twice) and rewrites the report.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gapeval.cli.report import add_sampler_arguments, sampler_options
from gapeval.cli.run import add_progress_arguments, progress_from_args
from gapeval.files import output_folder
from gapeval.progress import Progress, silent

__all__ = ["DEMO_MODELS", "register", "run_demo"]

#: The demo's respondents: (name, adapter, options). Simulated abilities are on the logit scale of
#: the bank's difficulties (difficulty 1..5 -> b = -2..2, slope 1).
DEMO_MODELS: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("procedural", "procedural", {}),
    ("sim-even", "simulated", {"theta_understanding": 0.5, "theta_generation": 0.5}),
    ("sim-reader", "simulated", {"theta_understanding": 1.0, "theta_generation": -0.5}),
    ("sim-drawer", "simulated", {"theta_understanding": -0.5, "theta_generation": 0.5}),
    ("sim-fading", "simulated", {"theta_understanding": 0.8, "theta_generation": 0.3, "decay": -0.15}),
)


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    parser = subparsers.add_parser(
        "demo", help="the whole pipeline on embedded defaults: run, score, report (no GPU, network, weights)"
    )
    parser.add_argument("--out", type=Path, default=Path("gapeval-demo"),
                        help="output folder (default ./gapeval-demo; resumed if it exists)")
    parser.add_argument("--limit", type=int, default=None,
                        help="ask only the first N items and N dialogues (default: the whole bank)")
    parser.add_argument("--seed", type=int, default=0, help="run and fit seed")
    add_sampler_arguments(parser)
    add_progress_arguments(parser)
    parser.set_defaults(handler=_handle)


def _handle(args: Any) -> int:
    options = sampler_options(args)
    return run_demo(args.out, limit=args.limit, seed=args.seed, inference=options.pop("inference", None),
                    gap_options=options, progress=progress_from_args(args))


#: Options of the tiny Janus model in the demo (CPU, float32; short text answers).
TINY_JANUS_OPTIONS: dict[str, object] = {"device": "cpu", "dtype": "float32", "max_new_tokens": 8, "max_batch": 16}


def _tiny_janus(out: Path) -> tuple[str, str, dict[str, object]] | None:
    """Build (once) the tiny Janus folder; ``None`` with a message when transformers is missing."""
    try:
        from gapeval.adapters.tiny_janus import build_tiny_janus

        folder = out / "tiny-janus"
        if not (folder / "config.json").exists():
            build_tiny_janus(folder, seed=0)
    except ImportError as error:
        print(f"  tiny Janus model skipped ({error.name} is not installed; install gapeval[hf])")
        return None
    return ("tiny-janus", "hf-janus", {"weights": str(folder), **TINY_JANUS_OPTIONS})


#: What the tiny Janus model is asked: the first items of the bank (a plumbing check, not a model).
TINY_JANUS_SHARE = {"include": "items", "limit": 160}


def _step(message: str) -> tuple[float, float]:
    """Print a phase's title; return its start as (wall clock, process CPU time)."""
    print(f"[demo] {message}", flush=True)
    return time.perf_counter(), time.process_time()


def _took(start: tuple[float, float]) -> str:
    """Wall and CPU seconds since ``start`` (CPU over wall > 1: several cores worked)."""
    return f"{time.perf_counter() - start[0]:.1f} s (CPU {time.process_time() - start[1]:.1f} s)"


def _recovery(gaps: Any) -> list[str]:
    """Lines comparing the simulated respondents' true gaps with the estimates."""
    truth = {name: o["theta_understanding"] - o["theta_generation"] for name, a, o in DEMO_MODELS if a == "simulated"}
    lines = [f"{'model':<12} {'true gap':>9} {'estimate':>9} {'interval':>18}  covered"]
    covered = 0
    for row in gaps.itertuples(index=False):
        true = truth.get(row.model)
        inside = true is not None and row.gap_lower <= true <= row.gap_upper
        covered += inside
        true_text = "-" if true is None else f"{true:9.2f}"
        mark = "" if true is None else ("yes" if inside else "no")
        lines.append(f"{row.model:<12} {true_text:>9} {row.gap:9.2f} "
                     f"[{row.gap_lower:6.2f}, {row.gap_upper:6.2f}]  {mark}")
    lines.append(f"{covered} of {len(truth)} true gaps inside their intervals "
                 f"({gaps.attrs.get('interval', 'interval')}, {gaps.attrs.get('inference')})")
    return lines


def run_demo(out: Path, *, limit: int | None = None, seed: int = 0, inference: str | None = None,
             gap_options: dict[str, Any] | None = None, progress: Progress | None = None) -> int:
    """Run, score, export and report the demo into ``out``; return the exit status.

    ``inference`` (``"svi"`` or ``"nuts"``) and ``gap_options`` (further keyword arguments of
    :func:`gapeval.gap_score`) reach the report only when given; otherwise the library's defaults
    apply (:func:`gapeval.report.build_report`). ``progress`` shows every phase (answering,
    scoring, fitting, the report) with the time left; default: nothing shown.
    """
    from gapeval.model_spec import ModelSpec
    from gapeval.report import build_report, load_responses
    from gapeval.runner import RunConfig, run
    from gapeval.scoring.run_scoring import score_run

    started = (time.perf_counter(), time.process_time())
    progress = progress or silent()
    out = output_folder(out, what="demo folder")
    t = _step(f"building a tiny random-weight Janus model -> {out / 'tiny-janus'}")
    tiny = _tiny_janus(out)
    models = DEMO_MODELS + ((tiny,) if tiny else ())
    print(f"  {_took(t)}")
    config = RunConfig(
        bank="builtin",
        models=tuple(
            ModelSpec(name=n, adapter=a, options=o, **(TINY_JANUS_SHARE if a == "hf-janus" else {}))
            for n, a, o in models
        ),
        seed=seed,
        limit=limit,
    )
    names = ", ".join(name for name, _, _ in models)
    t = _step(f"answering the built-in bank with {names} -> {out / 'run'}")
    report = run(config, out / "run", progress=progress)
    for model in report.models:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(model.statuses.items()))
        print(f"  {model.name}: {counts or 'nothing new'}; {model.skipped} already stored; {model.seconds:.1f} s")
    print(f"  {_took(t)}")

    t = _step("scoring with the rule-based scorers and image verifiers")
    summary = score_run(out / "run", progress=progress.counter("scoring", unit="answers"))
    print(summary)
    print(f"  {_took(t)}")

    t = _step(f"exporting the long responses table -> {out / 'report' / 'responses.parquet'}")
    responses, manifest = load_responses(out / "run")
    print(f"  {len(responses)} scored answers ({responses['session'].notna().sum()} from dialogue turns); {_took(t)}")

    how = "the library's default inference" if inference is None else inference
    t = _step(f"fitting gap scores ({how}), the decay model, tables and figures -> {out / 'report'}")
    chosen = {} if inference is None else {"inference": inference}
    built = build_report(responses, out / "report", manifest=manifest, seed=seed, gap_options=gap_options,
                         progress=progress, **chosen)
    print(f"  {len(built.files)} files; {_took(t)}")
    for name, outcome in built.outcomes.items():
        if outcome.skipped:
            print(f"  {name}: not estimated: {outcome.skipped}")

    gap = built.outcomes["gap"]
    if not gap.skipped:
        _step("gap scores")
        columns = ["model", "gap", "gap_lower", "gap_upper", "p_gap_positive", "theta_understanding",
                   "theta_generation"]
        print(gap.results["gaps"][columns].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        _step("recovery of the simulated respondents' gaps (theta_U - theta_G)")
        print("\n".join(_recovery(gap.results["gaps"])))
    decay = built.outcomes["decay"]
    if not decay.skipped:
        _step("per-model decay slopes of dialogue scores (sim-fading was simulated to decay)")
        slopes = decay.results["decay"].slopes_frame()
        print(slopes.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    _step(f"done in {_took(started)}; open {built.index}")
    return 0
