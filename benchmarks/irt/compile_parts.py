"""Where the compilation of ``irt.fit``'s NUTS program goes: truncated versions of its chain compiled, process CPU s.

    cd benchmarks/irt && PYTHONPATH=../.. GAPEVAL_JAX_CACHE=off python compile_parts.py 2pl-20x600 [plain|fused]

The chain of ``irt.inference.sites`` (seed 1's data of ``compare_peers.py``, the defaults' options and
dense block), cut after NumPyro's ``initialize_model``, after ``init_kernel``, after one kernel step, after
the scan of warm-up and draws, and whole (the constrained sites of every draw), each traced, lowered and
compiled in a process whose JAX caches are cleared in between; and the potential's value and gradient
alone. ``fused`` (the default, as ``irt.fit`` runs it on dense binary data) samples the model with the
fused likelihood of ``irt.inference.dense_logistic``, ``plain`` with NumPyro's Bernoulli site. Prints trace + lower and compile process CPU seconds of each (the differences between lines are
what each part adds; ``init_kernel`` adds little because a program that returns only ``z`` drops its
step-size search).
"""
import os, sys, time
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
sys.path.insert(0, "benchmarks/irt")
from functools import partial
import jax, numpy as np
from profile_nuts import simulate
import irt
from irt.problem import resolve_problem
from irt.inference.options import NUTSOptions
from irt.inference.common import device_args
from irt.inference.sites import split_arguments
from irt.inference.nuts import model_for, _dense_mass
from irt.inference.runners import scan_nuts
from numpyro.infer.hmc import hmc
from numpyro.infer.util import initialize_model

case = sys.argv[1]
data, _ = simulate(case, 1)
problem = resolve_problem(data, "2pl", None, None)
options = NUTSOptions()
static, dat = split_arguments(problem, device_args(problem))
variant = sys.argv[2] if len(sys.argv) > 2 else "fused"
model = partial(model_for(problem, options, dense=variant == "fused"), **static)
dense = _dense_mass(problem, options)

def chain(key, data, part):
    key_init, key_run = jax.random.split(key)
    start, potential_gen, postprocess_gen, _ = initialize_model(key_init, model, model_kwargs=data, dynamic_args=True)
    if part == "initialize_model":
        return start.z
    init_kernel, sample_kernel = hmc(potential_fn_gen=potential_gen, algo="NUTS")
    blocks = dense if isinstance(dense, list) else []
    state = init_kernel(start, options.num_warmup, dense_mass=blocks, target_accept_prob=options.target_accept_prob,
                        max_tree_depth=options.max_tree_depth, model_kwargs=data, rng_key=key_run)
    if part == "+ init_kernel":
        return state.z
    if part == "+ one kernel step":
        return sample_kernel(state, model_kwargs=data).z
    z, div, steps = scan_nuts(state, sample_kernel, options, model_kwargs=data)
    if part == "+ scan":
        return z
    return jax.vmap(postprocess_gen(**data))(z), div, steps

key = jax.random.PRNGKey(1)
for part in ["potential+grad", "initialize_model", "+ init_kernel", "+ one kernel step", "+ scan", "+ postprocess (the fit's program)"]:
    jax.clear_caches()
    c, w = time.process_time(), time.perf_counter()
    if part == "potential+grad":
        start, pot_gen, _, _ = initialize_model(key, model, model_kwargs=dat, dynamic_args=True)
        jax.clear_caches()
        c, w = time.process_time(), time.perf_counter()
        f = jax.jit(jax.value_and_grad(lambda z, d: pot_gen(**d)(z)))
        lowered = f.lower(start.z, dat)
    else:
        f = jax.pmap(partial(chain, part=part), in_axes=(0, None))
        lowered = f.lower(jax.random.split(key, 2), dat)
    c1 = time.process_time()
    lowered.compile()
    print(f"{part}: trace+lower {c1 - c:.2f} compile {time.process_time() - c1:.2f} CPU s (wall {time.perf_counter() - w:.2f})", flush=True)
print("variant", variant, "load", os.getloadavg())
