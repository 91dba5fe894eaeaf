"""Profile one default NUTS fit of a benchmark case: where does the time go?

Prints (and with ``--json`` stores) for one case and seed: the cost of one gradient of the potential
(jitted, after compilation), the JAX compile time, the sampler's wall and CPU time, the mean number
of leapfrog steps per kept iteration, the time of the diagnostics (R-hat/ESS via ArviZ) and of the
θ table, the convergence numbers (max R-hat, min bulk/tail ESS, divergences) and θ recovery
(r, RMSE, slope of estimates on truth). Extra NUTS options are passed as ``name=value``.

Run from the repository root::

    .venv/bin/python benchmarks/irt/profile_nuts.py --case 2pl-20x600 --seed 1
    .venv/bin/python benchmarks/irt/profile_nuts.py --case 2d-20x1200 --seed 1 num_samples=500
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")  # before JAX is imported

import argparse  # noqa: E402
import ast  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from _shared import CompileClock, cpu_seconds, recovery, simulate_case, uptime_line  # noqa: E402

CASES: dict[str, tuple[int, int, int]] = {"2pl-20x600": (20, 600, 1), "2d-20x1200": (20, 1200, 2),
                                          "2d-30x1200": (30, 1200, 2)}


def simulate(case: str, seed: int):
    """The benchmark case's data (as ``compare_peers.py`` makes them) and the true θ."""
    num_respondents, num_items, num_dims = CASES[case]
    return simulate_case(num_respondents=num_respondents, num_items=num_items, num_dims=num_dims, seed=seed)


def gradient_ms(data, options: dict, repeats: int = 200) -> float:
    """Milliseconds per gradient of the potential energy (jitted, compiled beforehand)."""
    import jax
    from numpyro.infer.util import initialize_model

    from irt.inference.common import device_args
    from irt.inference.nuts import model_for
    from irt.inference.options import NUTSOptions
    from irt.problem import resolve_problem

    problem = resolve_problem(data, "2pl", None)
    model = model_for(problem, NUTSOptions(**options))
    info = initialize_model(jax.random.PRNGKey(0), model, model_kwargs=device_args(problem), dynamic_args=False)
    grad = jax.jit(jax.grad(info.potential_fn))
    params = info.param_info.z
    jax.block_until_ready(grad(params))
    start = time.perf_counter()
    for _ in range(repeats):
        out = grad(params)
    jax.block_until_ready(out)
    return 1000 * (time.perf_counter() - start) / repeats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="profile one NUTS fit")
    parser.add_argument("--case", default="2pl-20x600", choices=list(CASES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("options", nargs="*", help="NUTS options as name=value")
    args = parser.parse_args(argv)
    options = {k: ast.literal_eval(v) if v[:1] not in "\"'" and not v.isalpha() else v
               for k, v in (o.split("=", 1) for o in args.options)}
    options = {k: (None if v == "None" else v) for k, v in options.items()}
    import irt

    data, truth = simulate(args.case, args.seed)
    record: dict = {"case": args.case, "seed": args.seed, "options": options, "uptime_start": uptime_line()}
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    with CompileClock() as clock:
        result = irt.fit(data, "2pl", seed=args.seed, check_convergence=False, **options)
    record.update(fit_wall_s=time.perf_counter() - wall0, fit_cpu_s=cpu_seconds() - cpu0, compile_s=clock.seconds,
                  sampler_s=result.info["seconds"], chain_method=result.info.get("chain_method"))
    t0 = time.perf_counter()
    diag = result.diagnostics()
    record["diagnostics_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    abilities = result.abilities()
    record["abilities_s"] = time.perf_counter() - t0
    steps = np.asarray(result.sample_stats["n_steps"])
    record.update(mean_leapfrog=float(steps.mean()), max_leapfrog=int(steps.max()),
                  total_leapfrog_kept=int(steps.sum()), max_rhat=float(diag.max_rhat),
                  min_ess_bulk=float(diag.min_ess_bulk), min_ess_tail=float(diag.min_ess_tail),
                  divergences=int(diag.num_divergences))
    worst = diag.table.sort_values("ess_bulk").head(3)
    record["worst_ess"] = [f"{r.site}[{r.index}] ess={r.ess_bulk:.0f} rhat={r.r_hat:.3f}" for r in worst.itertuples()]
    est = np.column_stack([g["estimate"].to_numpy() for _, g in abilities.groupby("dimension", sort=False)])
    lo = np.column_stack([g["lower"].to_numpy() for _, g in abilities.groupby("dimension", sort=False)])
    hi = np.column_stack([g["upper"].to_numpy() for _, g in abilities.groupby("dimension", sort=False)])
    rec = recovery(est, truth.theta, lower=lo, upper=hi)
    record.update(theta_r=rec["r"], theta_rmse=rec["rmse"], coverage_95=rec["coverage"],
                  scale=float(np.mean([np.polyfit(truth.theta[:, k], est[:, k], 1)[0]
                                       for k in range(est.shape[1])])),
                  true_theta_sd=float(truth.theta.std(ddof=1)))
    try:
        record["gradient_ms"] = gradient_ms(data, options)
    except ImportError:  # older irt without model_for
        record["gradient_ms"] = None
    record["uptime_end"] = uptime_line()
    print(json.dumps(record, indent=1, default=str), flush=True)
    if args.json:
        args.json.write_text(json.dumps(record, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
