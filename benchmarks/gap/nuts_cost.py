"""Where a ``gap_score`` NUTS fit's time goes, for several sampler settings alternated in one process.

    PYTHONPATH=. .venv/bin/python benchmarks/gap/nuts_cost.py --fits 3 \\
        --config default: --config ta80:target_accept_prob=0.8 --out benchmarks/gap/timing/nuts_cost.jsonl

Fit k of every configuration is ``simulate_gap_responses(M, P, seed=2026 + k)`` (fit 0 compiles that
configuration's programs; later fits reuse them, so their CPU seconds are the sampling alone); the
configurations run alternated (fit 0 of each, then fit 1 of each, ...). Prints and appends one JSON
line per fit: wall and process CPU seconds of the ``gap_score`` call, leapfrog steps per kept draw
(mean) and in all (kept draws), the smallest bulk and tail ESS with their sites and per kept draw,
the largest R-hat, divergences, whether a ConvergenceWarning was issued, the coverage of the true
gaps and the 1-minute load average. Also the adapted step size of each chain, the leapfrog steps of the
whole run (warm-up included where it runs as blocks, i.e. ``num_warmup`` a multiple of ``block_size``;
else the warm-up's are estimated as ``num_warmup`` x the kept draws' mean, ``all_steps_estimated``) and
the smallest bulk and tail ESS per 1,000 of them (gradient evaluations).

``--no-mass-adaptation`` runs every configuration of the process with NumPyro's
``adapt_mass_matrix=False`` (the warm start's inflated variances stay the metric; only the step size
adapts). It patches the runner's kernel, so the compiled programs of such a process are not those of a
default one: run it as its own process beside one without the flag.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from convergence import _value  # noqa: E402


def _config(text: str) -> tuple[str, dict]:
    name, _, rest = text.partition(":")
    settings = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        settings[key] = _value(value)
    return name, settings


def one_fit(name: str, settings: dict, k: int, *, models: int, pairs: int) -> dict:
    """Fit data set ``2026 + k`` with ``settings`` and return the record of the fit."""
    import numpy as np

    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses
    from gapeval.sampling import GAP_NUTS
    from irt.diagnostics import ConvergenceWarning

    df, truth = simulate_gap_responses(models, pairs, seed=2026 + k)
    _BLOCKS.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = gap_score(df, inference="nuts", seed=0, **settings)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = table.attrs["result"]
    t = result.diagnostics.table
    steps = np.asarray(result.sample_stats["n_steps"])
    draws = steps.size
    low_bulk, low_tail = t.loc[t["ess_bulk"].idxmin()], t.loc[t["ess_tail"].idxmin()]
    covered = (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"])
    block_steps = int(sum(int(np.asarray(s).sum()) for s in _BLOCKS["steps"]))
    num_warmup = settings.get("num_warmup", GAP_NUTS.num_warmup)
    estimated = num_warmup % GAP_NUTS.block_size != 0   # the warm-up ran as one program, its steps unseen
    all_steps = block_steps + (int(round(float(steps.mean()) * steps.shape[0] * num_warmup)) if estimated else 0)
    return {"config": name, "settings": settings, "fit": k, "models": models, "pairs": pairs,
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "kept_draws": int(draws),
            "mean_steps": round(float(steps.mean()), 1), "kept_steps": int(steps.sum()),
            "min_ess_bulk": round(float(low_bulk["ess_bulk"]), 0), "min_ess_bulk_at": low_bulk["site"],
            "min_ess_tail": round(float(low_tail["ess_tail"]), 0), "min_ess_tail_at": low_tail["site"],
            "tail_ess_per_draw": round(float(low_tail["ess_tail"]) / draws, 3),
            "max_rhat": round(float(result.diagnostics.max_rhat), 4),
            "step_size": [round(float(x), 4) for x in _BLOCKS["step_size"][-1]] if _BLOCKS["step_size"] else None,
            "all_steps": all_steps, "all_steps_estimated": estimated,
            "bulk_ess_per_1000_steps": round(1000 * float(low_bulk["ess_bulk"]) / all_steps, 2),
            "tail_ess_per_1000_steps": round(1000 * float(low_tail["ess_tail"]) / all_steps, 2),
            "mass_adaptation": _MASS_ADAPTATION[0],
            "divergences": int(np.asarray(result.sample_stats["diverging"]).sum()),
            "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
            "coverage_95": float(np.mean(covered)), "load_1min": round(os.getloadavg()[0], 2)}


_BLOCKS: dict = {}
_MASS_ADAPTATION = [True]


def _record_blocks() -> None:
    """Wrap the runner's ``run_chains`` so that each block of draws leaves its leapfrog steps and step sizes."""
    from irt.inference import runners

    inner = runners.run_chains

    import numpy as np

    def run_chains(name, *args, **kwargs):
        out = inner(name, *args, **kwargs)
        if name == "nuts_block":
            states, (_, _, steps) = out
            _BLOCKS.setdefault("steps", []).append(steps)
            _BLOCKS.setdefault("step_size", []).append(np.asarray(states.adapt_state.step_size).ravel())
        return out

    runners.run_chains = run_chains


def _without_mass_adaptation() -> None:
    """Patch the runner's NUTS kernel to adapt only the step size (``adapt_mass_matrix=False``)."""
    import sys
    from functools import partial

    import numpyro.infer.hmc  # noqa: F401

    from irt.inference import runners

    inner = runners._nuts_kernel

    def _nuts_kernel(potential, options):
        hmc_module = sys.modules["numpyro.infer.hmc"]
        original = hmc_module.hmc

        def hmc(*a, **kw):
            init_kernel, sample_kernel = original(*a, **kw)
            return partial(init_kernel, adapt_mass_matrix=False), sample_kernel

        hmc_module.hmc = hmc
        try:
            return inner(potential, options)
        finally:
            hmc_module.hmc = original

    runners._nuts_kernel = _nuts_kernel
    _MASS_ADAPTATION[0] = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", required=True, metavar="NAME:KEY=VALUE,...",
                        help="a configuration: a name and gap_score sampler keywords, e.g. ta80:target_accept_prob=0.8")
    parser.add_argument("--fits", type=int, default=3, help="fits per configuration (data sets 2026, 2027, ...)")
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=600)
    parser.add_argument("--no-mass-adaptation", action="store_true",
                        help="adapt the step size only; the warm start's variances stay the metric")
    parser.add_argument("--out", default=None, help="JSON lines file to append to")
    args = parser.parse_args()
    os.environ.setdefault("GAPEVAL_JAX_CACHE", "off")
    configs = [_config(text) for text in args.config]
    _record_blocks()
    if args.no_mass_adaptation:
        _without_mass_adaptation()
    for k in range(args.fits):
        for name, settings in configs:
            record = one_fit(name, settings, k, models=args.models, pairs=args.pairs)
            line = json.dumps(record)
            print(line, flush=True)
            if args.out:
                with open(args.out, "a") as fh:
                    fh.write(line + "\n")


if __name__ == "__main__":
    main()
