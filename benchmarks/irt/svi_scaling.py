"""SVI scaling benchmark: minibatched 2PL SVI at 10^5, 10^6 and 10^7 responses.

Shapes: 1000 respondents x 100 / 1,000 / 10,000 items (complete matrices), simulated by
:func:`irt.simulate` (2PL, seed 0). The respondent count stays fixed and the items grow, as in AI
benchmarks where the item bank grows. Every size runs in its own child process so that the peak
resident memory (``ru_maxrss``) belongs to that size alone; the wall and CPU times are taken inside
the child around ``irt.fit`` (process start, imports and the simulation are excluded; the
simulation is timed on its own).

The SVI protocol is the same at every size: ``batch_size`` responses per step (default 10,000) and
``num_steps`` steps (default 2,000), so the optimiser does the same work per step everywhere and
any growth of the time with the data size comes from the per-step cost that depends on the number
of responses (index subsampling) and from the final draws over all responses.

Run from the repository root::

    .venv/bin/python benchmarks/irt/svi_scaling.py                 # 10^5, 10^6, 10^7
    .venv/bin/python benchmarks/irt/svi_scaling.py --quick         # 10^5 only, 300 steps (smoke run)
    .venv/bin/python benchmarks/irt/svi_scaling.py --sizes 1e6 --json /tmp/svi.json

Targets (foundation issue): time grows at most linearly with the responses; 10^7 responses in
under 5 minutes and 4 GB. Issue 20: 10^7 in at most 2 minutes and 2 GB with θ coverage 0.9-0.97
(``coverage_95`` of ``irt.fit``'s default θ table, the grid correction included; ``grid_cpu_s`` is
the correction's share; ``coverage_95_centred`` the coverage of θ - θ̄ draw by draw, and
``location_z`` the true θ̄'s distance from the draws' θ̄ in their sds: with 10,000 items θ's common
location, exactly N(0, 1/M) a posteriori, is most of each interval, so one data set's coverage
moves with it and ``coverage_95_centred`` is the respondent-by-respondent part; ``data_location_z``
the true θ̄ in sds of that exact posterior, which ``location_z`` equals when the draws' θ̄ follows
it, and ``coverage_95_location_averaged`` the coverage with the true θ̄ averaged over its prior,
:func:`location_averaged_coverage`), and a full-batch
SVI step within 2x of the memory floor: after the fit
the child times ``--full-batch-steps`` steps of the model SVI fits on dense responses and an
``AutoNormal`` guide on every response (``ms_per_full_step``: ``irt.fit``'s step, the gradient
alone of the fused likelihood of :mod:`irt.inference.dense_logistic`,
:func:`irt.inference.sites.gradient_step`; ``value_ms_per_full_step``: the same with the loss,
NumPyro's ``stable_update``, the seventh session's step; ``plain_ms_per_full_step``: the same site
model without the fused likelihood, NumPyro's autodiff, main's step before it; 3 alternated rounds,
medians; compiled first, process CPU beside wall) and reads a 512 MiB array, jitted in JAX, to measure the bandwidth; ``floor_ms`` =
the bytes of the plain step's data arrays (the int32 response matrix) / that bandwidth, and
``read_floor_ms`` the same for the bytes ``irt.fit``'s fused step reads (the matrix as int8).
``ms_per_hand_step`` times the fastest formulation of ``full_step.py`` (``grad_int8_tiled``: the
responses as an int8 sign, the gradient written from r = s σ(-s x), block by block of respondents)
on the same responses, against the same floor.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _shared import CompileClock, cpu_seconds, machine_facts, markdown_table, peak_rss_mb, recovery, uptime_line

SIZES: dict[str, tuple[int, int]] = {"1e5": (1000, 100), "1e6": (1000, 1000), "1e7": (1000, 10000)}
COLUMNS = ["size", "respondents", "items", "responses", "batch_size", "num_steps", "epochs", "simulate_s",
           "fit_wall_s", "fit_cpu_s", "grid_cpu_s", "compile_s", "ms_per_step", "peak_rss_after_simulate_mb",
           "peak_rss_mb", "theta_r", "theta_rmse", "coverage_95", "coverage_95_centred", "location_z", "data_location_z",
           "coverage_95_location_averaged", "mean_width",
           "scale_check", "scale_check_z", "scale_check_spread",
           "ms_per_full_step", "cpu_ms_per_full_step", "floor_ms", "floor_ratio", "cpu_floor_ratio",
           "cpu_read_floor_ratio", "value_cpu_ms_per_full_step", "value_cpu_floor_ratio", "plain_cpu_ms_per_full_step",
           "plain_cpu_floor_ratio", "cpu_ms_per_hand_step", "hand_cpu_floor_ratio"]


def bandwidth_gb_s(repeats: int = 5) -> float:
    """Read bandwidth in GB/s: the best of ``repeats`` jitted sums of a 512 MiB float32 array."""
    import jax
    import jax.numpy as jnp

    x = jnp.ones(2**27, dtype=jnp.float32)
    total = jax.jit(jnp.sum)
    total(x).block_until_ready()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        total(x).block_until_ready()
        best = min(best, time.perf_counter() - start)
    return x.nbytes / best / 1e9


def full_batch_step(problem, *, seed: int, num_steps: int, rounds: int = 3) -> dict:
    """Time full-batch SVI steps (every response) against the floor: ``irt.fit``'s step, the one before it, main's; alternated.

    ``gradient``: ``irt.fit``'s step on dense responses since the eighth session
    (:func:`irt.inference.sites.gradient_step`: the ELBO's gradient alone, without the loss, of the
    model :func:`irt.inference.svi.fit_model` gives, whose likelihood's gradient is one tiled pass,
    :func:`irt.inference.dense_logistic.logistic_log_likelihood_for_gradient`); ``value``: the
    seventh session's step, NumPyro's ``stable_update`` (the loss with the gradient) of the model
    with :func:`~irt.inference.dense_logistic.logistic_log_likelihood` (value and gradient in one pass); ``plain``: the site model without the fused
    likelihood (NumPyro's autodiff of the Bernoulli site, ``SVI.update``: main's step before the
    seventh session). Each with an ``AutoNormal`` guide and Adam, compiled first, then ``rounds``
    alternated rounds of ``num_steps`` steps; medians of the rounds.
    """
    import jax
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoNormal
    from numpyro.optim import Adam

    from irt.inference.common import device_args, reparameterised
    from irt.inference.dense_logistic import fused_likelihood
    from irt.inference.sites import gradient_step
    from irt.inference.svi import fit_model

    plain = (reparameterised(problem, centered=0.0), device_args(problem))
    fused = fit_model(problem, batch_size=None)   # irt.fit's: the likelihood's form for the gradient alone
    value = (fused_likelihood(plain[0]), fused[1])   # the seventh session's: value and gradient in one pass
    runners, read_bytes = {}, {}
    for name, (model, args) in (("plain", plain), ("value", value), ("gradient", fused)):
        data = {k: v for k, v in args.items() if hasattr(v, "nbytes")}
        read_bytes[name] = sum(int(v.nbytes) for v in data.values())
        svi = SVI(model, AutoNormal(model), Adam(0.02), Trace_ELBO())
        update = {"plain": lambda st, arrays, svi=svi, args=args: svi.update(st, **{**args, **arrays}),
                  "value": lambda st, arrays, svi=svi, args=args: svi.stable_update(st, **{**args, **arrays}),
                  "gradient": lambda st, arrays, svi=svi, args=args: (gradient_step(svi, st, {**args, **arrays}),
                                                                      st.rng_key)}[name]
        step = jax.jit(update)
        state, out = step(svi.init(jax.random.PRNGKey(seed), **args), data)
        out.block_until_ready()

        def run(n, step=step, data=data, box=[state]):
            for _ in range(n):
                box[0], out = step(box[0], data)
            jax.block_until_ready(box[0])
        runners[name] = run
    bandwidth_before = bandwidth_gb_s()
    times = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            wall0, cpu0 = time.perf_counter(), cpu_seconds()
            run(num_steps)
            times[name].append((1000 * (time.perf_counter() - wall0) / num_steps,
                                1000 * (cpu_seconds() - cpu0) / num_steps))
    hand_wall, hand_cpu = _hand_gradient_step(problem, seed=seed, num_steps=num_steps)
    bandwidth = max(bandwidth_before, bandwidth_gb_s())
    data_bytes = read_bytes["plain"]  # the int32 response matrix: the floor of every session so far
    floor_ms = 1000 * data_bytes / (bandwidth * 1e9)
    read_floor_ms = 1000 * read_bytes["gradient"] / (bandwidth * 1e9)  # what irt.fit's step reads (int8)
    record = {"full_step_data_bytes": data_bytes, "bandwidth_gb_s": bandwidth, "floor_ms": floor_ms,
              "fused_read_bytes": read_bytes["gradient"], "read_floor_ms": read_floor_ms,
              "full_batch_steps": num_steps, "full_batch_rounds": rounds,
              "ms_per_hand_step": hand_wall, "cpu_ms_per_hand_step": hand_cpu, "hand_floor_ratio": hand_wall / floor_ms,
              "hand_cpu_floor_ratio": hand_cpu / floor_ms}
    for name, measured in times.items():
        wall, cpu = (float(np.median([m[k] for m in measured])) for k in (0, 1))
        prefix = {"gradient": "", "value": "value_", "plain": "plain_"}[name]
        record.update({f"{prefix}ms_per_full_step": wall, f"{prefix}cpu_ms_per_full_step": cpu,
                       f"{prefix}floor_ratio": wall / floor_ms, f"{prefix}cpu_floor_ratio": cpu / floor_ms,
                       f"{prefix}cpu_read_floor_ratio": cpu / (floor_ms if name == "plain" else read_floor_ms),
                       f"{prefix}full_step_rounds_ms": measured})
    return record


def _hand_gradient_step(problem, *, seed: int, num_steps: int) -> tuple[float, float]:
    """Wall and CPU ms of ``full_step.py``'s ``grad_int8_tiled`` step (the y as an int8 sign, the
    gradient from r = s σ(-s x), block by block of respondents) on the same responses."""
    import jax
    import jax.numpy as jnp

    from full_step import init_params, make_steps
    from irt.inference.common import dense_responses

    sign = jnp.asarray(np.where(dense_responses(problem) > 0.5, 1, -1).astype(np.int8))  # complete matrices
    built = make_steps()
    step, key = built["steps"]["grad_int8_tiled"], jax.random.PRNGKey(seed)
    state = built["init"](init_params(*sign.shape))
    for i in range(2):  # compiled, then warm
        state, _ = step(state, i, jax.random.fold_in(key, i), sign)
    jax.block_until_ready(state)
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    for i in range(num_steps):
        state, _ = step(state, i, jax.random.fold_in(key, i), sign)
    jax.block_until_ready(state)
    return 1000 * (time.perf_counter() - wall0) / num_steps, 1000 * (cpu_seconds() - cpu0) / num_steps


def location_averaged_coverage(lower: np.ndarray, upper: np.ndarray, truth: np.ndarray, *, points: int = 400) -> float:
    """Coverage of ``truth`` with its mean θ̄ replaced by draws from its prior N(0, 1/M), averaged.

    The 2PL's likelihood sees θ only through θ - θ̄, so a fit's intervals do not depend on the data's
    own θ̄, one number shared by every respondent: one data set's coverage moves with it (1.5 sd off
    at seed 0). Averaging over ``points`` quantiles of N(0, 1/M) in its place gives the coverage
    expected over data sets with these deviations, which the target 0.9-0.97 is about.
    """
    from scipy.stats import norm

    centred = truth - truth.mean()
    shifts = norm.ppf((np.arange(points) + 0.5) / points) / np.sqrt(len(truth))
    return float(np.mean([(lower <= centred + u) & (centred + u <= upper) for u in shifts]))


def run_one(size: str, *, batch_size: int, num_steps: int, num_draws: int, seed: int, full_batch_steps: int,
            learning_rate_decay: float = 1.0) -> dict:
    """Simulate one size, fit it by SVI and measure (runs in the child process)."""

    import irt

    num_respondents, num_items = SIZES[size]
    start = time.perf_counter()
    data, truth = irt.simulate("2pl", num_respondents=num_respondents, num_items=num_items, seed=seed)
    simulate_s = time.perf_counter() - start
    rss_simulate = peak_rss_mb()
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    with CompileClock() as clock:
        result = irt.fit(data, "2pl", method="svi", seed=seed, batch_size=batch_size, num_steps=num_steps,
                         num_draws=num_draws, learning_rate_decay=learning_rate_decay)
        abilities = result.abilities()
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    grid_cpu = result.info.get("grid_cpu_seconds")
    theta = abilities["estimate"].to_numpy()
    score = recovery(theta, truth.theta[:, 0], lower=abilities["lower"].to_numpy(),
                     upper=abilities["upper"].to_numpy())
    draws = result.samples["theta"][0, :, :, 0]
    location = draws.mean(axis=1)  # θ̄ of each draw: its posterior is N(0, 1/M), shared by every respondent
    centred = draws - location[:, None]
    centred_score = recovery(centred.mean(axis=0), truth.theta[:, 0] - truth.theta[:, 0].mean(),
                             lower=np.quantile(centred, 0.025, axis=0), upper=np.quantile(centred, 0.975, axis=0))
    return {"size": size, "respondents": num_respondents, "items": data.num_items,
            "responses": int(data.num_responses), "batch_size": batch_size, "num_steps": num_steps,
            "epochs": num_steps * batch_size / data.num_responses, "num_draws": num_draws,
            "simulate_s": simulate_s, "fit_wall_s": wall, "fit_cpu_s": cpu, "compile_s": clock.seconds,
            "ms_per_step": 1000 * (wall - clock.seconds) / num_steps, "irt_info_seconds": result.info["seconds"],
            "peak_rss_after_simulate_mb": rss_simulate, "peak_rss_mb": peak_rss_mb(),
            "theta_r": score["r"], "theta_rmse": score["rmse"], "coverage_95": score["coverage"],
            "theta_scale": float(np.polyfit(truth.theta[:, 0], theta, 1)[0]),
            "learning_rate_decay": learning_rate_decay,
            "mean_width": score["mean_width"], "final_loss": result.info.get("final_loss"),
            "grid_wall_s": result.info.get("grid_seconds"), "grid_cpu_s": grid_cpu,
            "scale_check": result.info.get("scale_check"), "scale_check_z": result.info.get("scale_check_z"),
            "scale_check_spread": result.info.get("scale_check_spread"),
            "coverage_95_centred": centred_score["coverage"],
            "location_z": float((truth.theta[:, 0].mean() - location.mean()) / location.std()),
            "data_location_z": float(truth.theta[:, 0].mean() * np.sqrt(num_respondents)),
            "coverage_95_location_averaged": location_averaged_coverage(
                abilities["lower"].to_numpy(), abilities["upper"].to_numpy(), truth.theta[:, 0]),
            "load": uptime_line().split("load average:")[-1].strip(),
            **(full_batch_step(result.problem, seed=seed, num_steps=full_batch_steps) if full_batch_steps else {})}


def run_in_child(size: str, args: argparse.Namespace) -> dict:
    """Run :func:`run_one` in a fresh interpreter and return its record (or the failure)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "--one", size, "--out", str(out), "--batch-size", str(args.batch_size),
                   "--num-steps", str(args.num_steps), "--num-draws", str(args.num_draws), "--seed", str(args.seed),
                   "--full-batch-steps", str(args.full_batch_steps),
                   "--learning-rate-decay", str(args.learning_rate_decay)]
        started = time.perf_counter()
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return {"size": size, "error": f"did not finish within {args.timeout} s"}
        if proc.returncode != 0 or not out.exists():
            return {"size": size, "error": f"exit {proc.returncode}: {proc.stderr.strip()[-400:]}"}
        record = json.loads(out.read_text())
        record["process_wall_s"] = time.perf_counter() - started
        return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SVI scaling benchmark for irt (2PL, minibatched)")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--batch-size", type=int, default=10_000, help="responses per SVI step")
    parser.add_argument("--num-steps", type=int, default=2000)
    parser.add_argument("--num-draws", type=int, default=1000, help="draws from the fitted guide (irt default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learning-rate-decay", type=float, default=1.0, help="SVIOptions.learning_rate_decay")
    parser.add_argument("--full-batch-steps", type=int, default=10,
                        help="full-batch SVI steps timed after the fit against the memory floor (0: none)")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds allowed per size")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10^5 only with 300 steps")
    parser.add_argument("--json", type=Path, help="also write the records and machine facts here")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        record = run_one(args.one, batch_size=args.batch_size, num_steps=args.num_steps, num_draws=args.num_draws,
                         seed=args.seed, full_batch_steps=args.full_batch_steps,
                         learning_rate_decay=args.learning_rate_decay)
        args.out.write_text(json.dumps(record))
        return 0
    if args.quick:
        args.sizes, args.num_steps = ["1e5"], 300
    before = {"uptime": uptime_line(), **machine_facts().__dict__}
    records = []
    for size in args.sizes:
        record = run_in_child(size, args)
        records.append(record)
        print(json.dumps(record), flush=True)
    after = uptime_line()
    print(f"\nbefore: {before['uptime']}\nafter:  {after}\n")
    print(markdown_table([r for r in records if "error" not in r], COLUMNS))
    for record in records:
        if "error" in record:
            print(f"{record['size']}: {record['error']}")
    if args.json:
        args.json.write_text(json.dumps({"machine": before, "uptime_after": after, "records": records,
                                         "command": " ".join([sys.executable] + sys.argv)}, indent=1))
    return 0 if all("error" not in r for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
