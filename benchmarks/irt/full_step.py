"""The full-batch SVI step of the 2PL at 10^6-10^7 responses: formulations against the memory floor.

Issue 20, Build 5: a full-batch SVI step within 2x of the memory floor (the bytes of the data the
step reads / the read bandwidth measured in the same process). This script times, alternated in one
process on the same simulated data (``irt.simulate("2pl")``, complete M x I matrix, seed 0):

- ``numpyro``: the step ``svi_scaling.py`` times (NumPyro's ``SVI.update`` with an ``AutoNormal`` guide
  on ``irt``'s 2PL site model, y dense int32);
- ``jax_int32``: the same ELBO written directly in JAX (a mean-field normal guide on θ, the
  non-centred log-slopes and intercepts; one reparameterised draw; Adam), the likelihood
  :math:`\\sum y x - \\mathrm{softplus}(x)`, :math:`x_{mi} = a_i\\theta_m + d_i`, y int32, autodiff;
- ``sign_int8``: the likelihood :math:`\\sum \\log\\sigma(s x)` with the sign :math:`s = 2y - 1` precomputed
  as int8 (a quarter of the bytes), autodiff;
- ``grad_int8``: the step's gradient written by hand from the sign alone, without the loss value
  (which an optimiser step does not need): :math:`r = s\\,\\sigma(-s x)`, then
  :math:`\\partial\\theta = r a`, :math:`\\partial a = r^\\top\\theta`, :math:`\\partial d = r^\\top 1`
  (XLA materialises r once and reads it in up to four passes); ``grad_int8_stacked`` the same with
  :math:`[\theta; 1]^\top r` as one product (two reads); ``grad_int8_fused`` without r (each reduction
  recomputes it from the int8 sign: three exp per cell, no M x I float temporary); ``grad_int8_tiled``
  the stacked form over blocks of respondents (a scan) whose r fits in 2 MiB of cache.

For each: process CPU and wall per step (median of the rounds), the floor of the bytes it reads (its
own data arrays) and of the int32 matrix, the number of fusions and of ``exp``/``log`` ops in the
compiled HLO (``jax.jit(step).lower(...).compile().as_text()``), and the load (``uptime``).

Run from the repository root::

    .venv/bin/python benchmarks/irt/full_step.py --sizes 1e6 1e7 --steps 10 --rounds 3 --json out.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from _shared import cpu_seconds, uptime_line
from svi_scaling import SIZES, bandwidth_gb_s


def _guide_draw(params, key, num_respondents, num_items):
    """One reparameterised draw of the mean-field guide and its entropy."""
    import jax
    import jax.numpy as jnp

    names = ("theta", "z_a", "z_d", "hyper")
    sizes = (num_respondents, num_items, num_items, 4)
    keys = jax.random.split(key, len(names))
    draw, entropy = {}, 0.0
    for name, size, k in zip(names, sizes, keys):
        loc, log_scale = params[name]
        draw[name] = loc + jnp.exp(log_scale) * jax.random.normal(k, (size,))
        entropy = entropy + log_scale.sum()
    return draw, entropy


def _parts(draw):
    """Slopes, intercepts and the prior log density (θ N(0,1); z N(0,1); log σ_a, μ_d, log σ_d N(0,1))."""
    import jax.numpy as jnp

    log_sigma_a, mu_d, log_sigma_d, _ = draw["hyper"]
    a = jnp.exp(jnp.exp(log_sigma_a) * draw["z_a"])
    d = mu_d + jnp.exp(log_sigma_d) * draw["z_d"]
    prior = -0.5 * sum((v**2).sum() for v in draw.values())
    return a, d, prior


def make_elbo(kind: str):
    """The negative ELBO of one guide draw as a function of (params, key, data), for autodiff."""
    import jax
    import jax.numpy as jnp

    def loglik(a, d, theta, data):
        x = theta[:, None] * a[None, :] + d[None, :]
        if kind == "jax_int32":
            return (data * x - jax.nn.softplus(x)).sum()
        return jax.nn.log_sigmoid(data.astype(x.dtype) * x).sum()

    def negative_elbo(params, key, data):
        draw, entropy = _guide_draw(params, key, *data.shape)
        a, d, prior = _parts(draw)
        return -(loglik(a, d, draw["theta"], data) + prior + entropy)

    return negative_elbo


def _likelihood_gradient(theta, a, d, sign, form: str):
    """(∂/∂a, ∂/∂d, ∂/∂θ) of Σ log σ(s x), x = a_i θ_m + d_i, from r = s σ(-s x), in one of four forms.

    ``dots``: r materialised, then θ r, the column sums and r a (XLA: one write and up to four reads
    of the M x I float32 r); ``stacked``: r materialised, [θ; 1] r as one product (one write, two
    reads); ``fused``: no r, each reduction recomputes it from the int8 sign (more exp, fewer bytes);
    ``tiled``: ``stacked`` block by block of respondents, r kept in the cache (:func:`_tiled`).
    """
    import jax.numpy as jnp

    if form == "tiled":
        return _tiled(theta, a, d, sign)
    if form == "fused":
        return ((_residual(theta, a, d, sign) * theta[:, None]).sum(axis=0), _residual(theta, a, d, sign).sum(axis=0),
                (_residual(theta, a, d, sign) * a[None, :]).sum(axis=1))
    r = _residual(theta, a, d, sign)
    if form == "dots":
        return theta @ r, r.sum(axis=0), r @ a
    columns = jnp.stack([theta, jnp.ones_like(theta)]) @ r
    return columns[0], columns[1], r @ a


def _residual(theta, a, d, sign):
    """r = d log σ(s x) / dx = s σ(-s x), x = a_i θ_m + d_i, for the respondents of ``theta`` (rows of ``sign``)."""
    import jax
    import jax.numpy as jnp

    s = sign.astype(jnp.float32)
    return s * jax.nn.sigmoid(-s * (theta[:, None] * a[None, :] + d[None, :]))


def _tiled(theta, a, d, sign, cache_bytes: int = 2**21):
    """``stacked`` over blocks of respondents (a scan), each block's r at most ``cache_bytes``, so that
    r is written and read back while it is still in the cache."""
    import jax
    import jax.numpy as jnp

    num_respondents, num_items = sign.shape
    block = max(b for b in range(1, num_respondents + 1)
                if num_respondents % b == 0 and (b * num_items * 4 <= cache_bytes or b == 1))

    def body(columns, block_data):
        sign_b, theta_b = block_data
        r = _residual(theta_b, a, d, sign_b)
        return columns + jnp.stack([theta_b, jnp.ones_like(theta_b)]) @ r, r @ a

    shape = (num_respondents // block, block)
    columns, grad_theta = jax.lax.scan(body, jnp.zeros((2, num_items), jnp.float32),
                                       (sign.reshape(*shape, num_items), theta.reshape(shape)))
    return columns[0], columns[1], grad_theta.reshape(num_respondents)


def make_hand_gradient(form: str = "dots"):
    """The negative ELBO's gradient with the likelihood's part written from r = s σ(-s x) (no loss value)."""
    import jax
    import jax.numpy as jnp

    def gradient(params, key, sign):
        def draw_outputs(p):
            draw, entropy = _guide_draw(p, key, *sign.shape)
            a, d, prior = _parts(draw)
            return a, d, draw["theta"], -(prior + entropy)

        (a, d, theta, rest), pullback = jax.vjp(draw_outputs, params)
        grad_a, grad_d, grad_theta = _likelihood_gradient(theta, a, d, sign, form)
        (grads,) = pullback((-grad_a, -grad_d, -grad_theta, jnp.ones_like(rest)))
        return grads

    return gradient


def init_params(num_respondents: int, num_items: int) -> dict:
    import jax.numpy as jnp

    sizes = {"theta": num_respondents, "z_a": num_items, "z_d": num_items, "hyper": 4}
    # float32 without weak types: a weakly typed start would make the second step compile again
    return {k: (jnp.zeros(n, jnp.float32), jnp.full(n, -2.3, jnp.float32)) for k, n in sizes.items()}


def make_steps() -> dict:
    """Each variant's jitted step: (opt_state, key, data) -> (opt_state, loss or NaN)."""
    import jax
    import jax.numpy as jnp
    from jax.example_libraries import optimizers

    init, update, get = optimizers.adam(0.02)
    steps = {}
    for kind in ("jax_int32", "sign_int8"):
        loss_and_grad = jax.value_and_grad(make_elbo(kind))

        def step(state, i, key, data, loss_and_grad=loss_and_grad):
            loss, grads = loss_and_grad(get(state), key, data)
            return update(i, grads, state), loss
        steps[kind] = jax.jit(step)
    for form, name in (("dots", "grad_int8"), ("stacked", "grad_int8_stacked"), ("fused", "grad_int8_fused"),
                       ("tiled", "grad_int8_tiled")):
        gradient = make_hand_gradient(form)

        def hand_step(state, i, key, sign, gradient=gradient):
            return update(i, gradient(get(state), key, sign), state), jnp.nan
        steps[name] = jax.jit(hand_step)
    return {"init": init, "steps": steps}


def numpyro_step(problem, seed: int):
    """The step svi_scaling.py times: (state, data) -> (state, loss), and its data arrays."""
    import jax
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoNormal
    from numpyro.optim import Adam

    from irt.inference.common import device_args, reparameterised

    model = reparameterised(problem, centered=0.0)
    args = device_args(problem)
    data = {k: v for k, v in args.items() if hasattr(v, "nbytes")}
    svi = SVI(model, AutoNormal(model), Adam(0.02), Trace_ELBO())
    state = svi.init(jax.random.PRNGKey(seed), **args)
    return jax.jit(lambda st, arrays: svi.update(st, **{**args, **arrays})), state, data


def hlo_counts(jitted, *args) -> dict:
    """Fusions and transcendental ops in the compiled program."""
    text = jitted.lower(*args).compile().as_text()
    return {"fusions": len(re.findall(r"^\s*(?:ROOT )?\S+ = \S+ fusion\(", text, flags=re.M)),
            "exp_ops": len(re.findall(r" exponential\(", text)),
            "log_ops": len(re.findall(r" log(?:-plus-one)?\(", text)),
            "dot_ops": len(re.findall(r" dot\(", text)), "reduce_ops": len(re.findall(r" reduce\(", text))}


def _timed(run, num_steps: int) -> tuple[float, float]:
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    run(num_steps)
    return 1000 * (time.perf_counter() - wall0) / num_steps, 1000 * (cpu_seconds() - cpu0) / num_steps


def measure(size: str, *, num_steps: int, rounds: int, seed: int) -> dict:
    """All variants at one size, alternated ``rounds`` times; medians per variant."""
    import jax
    import jax.numpy as jnp

    import irt
    from irt.problem import resolve_problem

    num_respondents, num_items = SIZES[size]
    data, _ = irt.simulate("2pl", num_respondents=num_respondents, num_items=num_items, seed=seed)
    problem = resolve_problem(data, "2pl")
    y = np.zeros((data.num_respondents, data.num_items), dtype=np.int32)
    y[data.respondent, data.item] = data.response
    arrays = {"jax_int32": jnp.asarray(y), "sign_int8": jnp.asarray((2 * y - 1).astype(np.int8))}
    for name in ("grad_int8", "grad_int8_stacked", "grad_int8_fused", "grad_int8_tiled"):
        arrays[name] = arrays["sign_int8"]
    built = make_steps()
    key = jax.random.PRNGKey(seed)
    runners, counts, data_bytes = {}, {}, {}
    for kind, step in built["steps"].items():
        state = built["init"](init_params(*y.shape))
        counts[kind] = hlo_counts(step, state, 0, key, arrays[kind])
        data_bytes[kind] = int(arrays[kind].nbytes)

        def run(n, step=step, kind=kind, box=[state]):
            for i in range(n):
                box[0], loss = step(box[0], i, jax.random.fold_in(key, i), arrays[kind])
            jax.block_until_ready(box[0])
        run(2)
        runners[kind] = run
    np_step, np_state, np_data = numpyro_step(problem, seed)
    counts["numpyro"] = hlo_counts(np_step, np_state, np_data)
    data_bytes["numpyro"] = sum(int(v.nbytes) for v in np_data.values())

    def run_numpyro(n, box=[np_state]):
        for _ in range(n):
            box[0], loss = np_step(box[0], np_data)
        loss.block_until_ready()
    run_numpyro(1)
    runners["numpyro"] = run_numpyro
    bandwidth = bandwidth_gb_s()
    times = {kind: [] for kind in runners}
    for _ in range(rounds):
        for kind, run in runners.items():
            times[kind].append(_timed(run, num_steps))
    bandwidth = max(bandwidth, bandwidth_gb_s())
    int32_floor = 1000 * y.size * 4 / (bandwidth * 1e9)
    records = []
    for kind, measured in times.items():
        wall = float(np.median([m[0] for m in measured]))
        cpu = float(np.median([m[1] for m in measured]))
        floor = 1000 * data_bytes[kind] / (bandwidth * 1e9)
        records.append({"size": size, "variant": kind, "ms_per_step": wall, "cpu_ms_per_step": cpu,
                        "data_bytes": data_bytes[kind], "floor_ms": floor, "ratio_wall": wall / floor,
                        "ratio_cpu": cpu / floor, "int32_floor_ms": int32_floor,
                        "ratio_wall_int32_floor": wall / int32_floor,
                        "ratio_cpu_int32_floor": cpu / int32_floor, "bandwidth_gb_s": bandwidth,
                        "rounds": rounds, "steps_per_round": num_steps, **counts[kind]})
    return {"records": records, "load": uptime_line()}


def check_hand_gradient(seed: int = 0) -> float:
    """Largest relative difference between the hand-written gradient and autodiff of sign_int8's ELBO (small case)."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(seed)
    sign = jnp.asarray(np.where(rng.random((30, 50)) < 0.5, 1, -1).astype(np.int8))
    params = jax.tree_util.tree_map(lambda v: v + 0.1 * jnp.asarray(rng.standard_normal(v.shape), jnp.float32),
                                    init_params(30, 50))
    key = jax.random.PRNGKey(1)
    auto = jax.grad(make_elbo("sign_int8"))(params, key, sign)
    worst = 0.0
    for form in ("dots", "stacked", "fused", "tiled"):
        hand = make_hand_gradient(form)(params, key, sign)
        diffs = jax.tree_util.tree_map(lambda u, v: float(jnp.max(jnp.abs(u - v)) / (jnp.max(jnp.abs(u)) + 1e-12)),
                                       auto, hand)
        worst = max(worst, *jax.tree_util.tree_leaves(diffs))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="full-batch 2PL SVI step: formulations against the memory floor")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["1e6", "1e7"])
    parser.add_argument("--steps", type=int, default=10, help="steps per timed round")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (median reported)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = {"hand_gradient_max_rel_diff": check_hand_gradient(), "before": uptime_line(), "sizes": {}}
    print(f"hand-written gradient against autodiff: max relative difference {result['hand_gradient_max_rel_diff']:.2e}")
    for size in args.sizes:
        result["sizes"][size] = measure(size, num_steps=args.steps, rounds=args.rounds, seed=args.seed)
        for record in result["sizes"][size]["records"]:
            print(json.dumps(record), flush=True)
    result["after"] = uptime_line()
    result["command"] = " ".join([sys.executable] + sys.argv)
    print(result["before"], "\n", result["after"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
