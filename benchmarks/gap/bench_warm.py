"""``gap_score`` cold and warm in one process: a first fit, then fits of *other* data sets of the same layout.

    PYTHONPATH=. .venv/bin/python benchmarks/gap/bench_warm.py nuts --fits 3
    PYTHONPATH=. .venv/bin/python benchmarks/gap/bench_warm.py svi --fits 3
    PYTHONPATH=. .venv/bin/python benchmarks/gap/bench_warm.py nuts --fits 3 --stop off   # always 1,200 draws
    PYTHONPATH=. .venv/bin/python benchmarks/gap/bench_warm.py nuts --fits 3 --gradient autodiff   # d4a8fc1's gradient

20 models x 600 pairs (``simulate_gap_responses(20, 600, seed=2026 + k)`` for fit k), seed 0. The
persistent compilation cache is switched off (``GAPEVAL_JAX_CACHE=off``) unless ``--disk-cache DIR``
is given, so the first fit is cold. Prints one JSON line per fit: wall and process CPU seconds of the
``gap_score`` call, the programs compiled and reused so far, the coverage of the 20 true gaps, and the
1-minute load average; the first line also the seconds from process start.
"""

from __future__ import annotations

import os
import time

START = time.perf_counter()
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import argparse  # noqa: E402
import json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inference", choices=["nuts", "svi"])
    parser.add_argument("--fits", type=int, default=3, help="fits in the process (data sets 2026, 2027, ...)")
    parser.add_argument("--models", type=int, default=20, help="models")
    parser.add_argument("--pairs", type=int, default=600, help="pairs per model")
    parser.add_argument("--disk-cache", default="off", help="folder of JAX's persistent cache (default: off)")
    parser.add_argument("--stop", choices=["on", "off"], default="on",
                        help="NUTS: stop once the checks pass (on, the default) or always draw 1,200 (off)")
    parser.add_argument("--gradient", choices=["hand", "autodiff"], default="hand",
                        help="the 0/1 likelihood's gradient: written by hand (shipped) or JAX's (d4a8fc1; gradient_variant.py)")
    args = parser.parse_args()
    os.environ["GAPEVAL_JAX_CACHE"] = args.disk_cache
    if args.gradient != "hand":
        from gradient_variant import use_gradient

        use_gradient(args.gradient)
    import numpy as np

    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses
    from irt.inference import compiled

    for k in range(args.fits):
        df, truth = simulate_gap_responses(args.models, args.pairs, seed=2026 + k)
        wall, cpu = time.perf_counter(), time.process_time()
        table = gap_score(df, inference=args.inference, seed=0, stop_when_converged=args.stop == "on")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        covered = (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"])
        out = {"inference": args.inference, "fit": k, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
               **compiled.statistics(), "coverage_95": float(np.mean(covered)), "load_1min": round(os.getloadavg()[0], 2)}
        if k == 0:
            out["from_process_start_s"] = round(time.perf_counter() - START, 2)
        if args.inference == "nuts":
            out["max_rhat"] = round(float(table.attrs["diagnostics"].get("max_rhat", float("nan"))), 3)
            info = table.attrs["result"].info
            out.update(stop=args.stop, gradient=args.gradient, num_samples=info["num_samples"], stopped=info["stopped"],
                       leapfrog_steps=float(np.mean(table.attrs["result"].sample_stats["n_steps"])))
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
