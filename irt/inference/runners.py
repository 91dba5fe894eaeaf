"""The sampler layer: NUTS and SVI runs of a NumPyro model, returned as one frozen record.

Every NUTS and SVI run in the distribution goes through this module or the site-based estimators of
:func:`irt.fit` (:mod:`irt.inference.nuts`, :mod:`irt.inference.svi`, compiled by :mod:`irt.inference.sites`):

* :func:`run_nuts` samples a model on its flat unconstrained vector (:mod:`irt.inference.flat`),
  each chain started from a draw of a short mean-field SVI fit whose variances are NUTS's initial
  (diagonal) inverse mass matrix, so the step size and the mass matrix are right from the first
  iteration and a short warm-up suffices (from uniform starts, 40 warm-up iterations of the Gap
  Score model still needed ~300 leapfrog steps per iteration on 20 models x 600 pairs);
  ``warm_start_steps=0`` starts uniformly near the prior's centre instead;
* :func:`run_svi` fits a mean-field normal in the same space and draws from it;
* both take the model's data as arguments of their compiled programs, kept per layout by
  :mod:`irt.inference.compiled`: a second data set of the same layout does not compile again;
* :func:`run_mcmc` is NumPyro's MCMC driver for :func:`irt.fit`'s site-based NUTS with a progress bar;
* :func:`release_compiled_programs` frees what such a run compiled; only this layer calls it.

Both runners return a :class:`SamplerRun`: draws (chain, draw, ...) of every latent and
deterministic site, the sampler statistics and facts about the run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import jax
import numpy as np

from irt.errors import IRTError
from irt.inference import compiled
from irt.inference.flat import constrained, fit_mean_field, flat_potential, noise_block, uniform_start
from irt.inference.options import NUTSOptions, SVIOptions, resolve_chain_method
from irt.inference.ticks import announce, tick_each, watched

__all__ = ["SamplerRun", "run_nuts", "run_svi", "run_mcmc", "release_compiled_programs", "refuse_options",
           "WARM_START_SCALE", "WARM_START_DECAY"]

#: Initial scale of the warm start's mean-field fit.
WARM_START_SCALE = 0.05
#: The warm start's step size decays geometrically to this fraction of ``learning_rate``.
WARM_START_DECAY = 0.1


@dataclass(frozen=True, eq=False)
class SamplerRun:
    """What a runner returns.

    Attributes
    ----------
    samples : dict
        Draws of every latent and deterministic site (the observed ``y`` left out), NumPy arrays of
        shape (chain, draw, ...); SVI draws are one chain.
    sample_stats : dict
        NUTS: ``diverging`` and ``n_steps`` (leapfrog steps), arrays (chain, draw); empty for SVI.
    info : dict
        ``method`` (``nuts`` or ``svi``), ``seconds``, ``approximate`` (True for SVI); NUTS:
        ``chain_method`` and ``start`` (``svi``, ``uniform``, or ``uniform (warm start failed)``);
        SVI: ``final_loss`` (mean loss over the last tenth of the steps).
    """

    samples: dict = field(repr=False)
    sample_stats: dict = field(default_factory=dict, repr=False)
    info: dict = field(default_factory=dict)


def release_compiled_programs() -> None:
    """Free the programs JAX compiled for a finished run of NumPyro's MCMC driver (:func:`irt.fit` with a progress bar).

    Every NumPyro MCMC run leaves its compiled programs in JAX's caches, and each holds memory maps
    (about 850-1,100 per fit of the models here). Linux allows 65,530 maps per process
    (``vm.max_map_count``), so a loop of fits stopped after 58-75 fits with "LLVM compilation error:
    Cannot allocate memory". The programs are never reused (every fit compiles its own closures), so
    they are dropped right after the draws are copied out; other jitted code recompiles on its next call.
    """
    jax.clear_caches()


def refuse_options(options: Any, names: tuple[str, ...], *, why: str) -> None:
    """Raise if any of ``names`` differs from its default in ``options`` (a setting this path cannot use)."""
    given = [name for name in names if getattr(options, name) != _default(type(options), name)]
    if given:
        shown = ", ".join(f"{name}={getattr(options, name)!r}" for name in given)
        raise IRTError(f"{shown}: {why}")


def _default(cls, name: str):
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def run_mcmc(kernel, key, options: NUTSOptions, *, init_params=None, model_kwargs: dict | None = None,
             announced: bool = False):
    """Run NumPyro's MCMC with ``kernel`` under ``options``.

    Its iterations are told to a watcher of the fit (:mod:`irt.inference.ticks`); ``announced``:
    the caller has already announced them (with its own steps before, so the total is known early).

    Returns
    -------
    (samples, sample_stats, chain_method)
        Draws grouped by chain as the kernel returns them (JAX arrays), ``diverging`` and
        ``n_steps`` as NumPy arrays (chain, draw), and the chain method used.
    """
    from numpyro.infer import MCMC

    chain_method = resolve_chain_method(options.chain_method, options.num_chains)
    if not announced:
        announce(_mcmc_iterations(options))
    _ticking(kernel)
    mcmc = MCMC(kernel, num_warmup=options.num_warmup, num_samples=options.num_samples,
                num_chains=options.num_chains, chain_method=chain_method, progress_bar=options.progress_bar)
    mcmc.run(key, init_params=init_params, extra_fields=("diverging", "num_steps"), **(model_kwargs or {}))
    extra = mcmc.get_extra_fields(group_by_chain=True)
    stats = {"diverging": np.asarray(extra["diverging"]), "n_steps": np.asarray(extra["num_steps"])}
    return mcmc.get_samples(group_by_chain=True), stats, chain_method


def _mcmc_iterations(options: NUTSOptions) -> int:
    """The iterations a watcher hears of: vectorized chains step together (one report per iteration)."""
    vectorized = resolve_chain_method(options.chain_method, options.num_chains) == "vectorized"
    return (1 if vectorized else options.num_chains) * (options.num_warmup + options.num_samples)


def _ticking(kernel) -> None:
    """Make ``kernel`` report each iteration to a watcher of the fit (:mod:`irt.inference.ticks`), if one listens."""
    if not watched():
        return
    sample = kernel.sample

    def ticking_sample(state, model_args, model_kwargs):
        tick_each(state.i)
        return sample(state, model_args, model_kwargs)

    kernel.sample = ticking_sample


def run_nuts(model, *, seed: int, options: NUTSOptions, data: dict | None = None,
             layout: Hashable | None = None, converged: Callable[[dict, dict], list[str]] | None = None) -> SamplerRun:
    """NUTS on ``model``'s flat unconstrained vector, warm-started by a mean-field SVI fit.

    ``options.warm_start_steps`` SVI steps (step size ``options.learning_rate``) give each chain a
    start drawn from the fitted normal and the initial inverse mass matrix (the fitted variances
    times ``options.mass_inflation``); 0 starts uniformly on (-0.5, 0.5) with a unit mass matrix, as
    does a warm start that fails (non-finite values).

    Parameters
    ----------
    model : callable
        A NumPyro model called with the keyword arguments ``data`` (see :mod:`irt.inference.flat`).
    seed : int
        Seed of the starts and the chains.
    options : NUTSOptions
        The sampler settings; ``dense_mass`` and ``centered`` (site-based only) must keep their defaults.
    data : dict, optional
        The model's data (arrays), passed to the compiled programs as arguments.
    layout : hashable, optional
        Everything else ``model`` depends on (:func:`irt.inference.compiled.layout_key` of its static
        arguments): with it the compiled programs are kept and a later run with the same layout and
        data of the same shapes reuses them (:mod:`irt.inference.compiled`). None: compiled for this run.
    converged : callable, optional
        ``converged(samples, sample_stats)`` -> the failed convergence checks of the draws so far (an
        empty list: all pass). With it and ``options.min_samples`` below ``options.num_samples``, the
        chains are drawn in blocks of ``options.block_size`` after the warm-up, and the run stops after
        the first block from ``options.min_samples`` draws per chain on whose draws pass, else at
        ``options.num_samples``. The draws of a run that stopped after k blocks are the first k blocks
        of a run that did not stop; the stopping is deterministic for a seed.

    Returns
    -------
    SamplerRun
        ``info`` also holds ``num_samples`` (draws per chain taken), ``stopped`` (``fixed``: no stopping
        rule; ``converged``: the checks passed; ``maximum``: ``options.num_samples`` drawn) and, for a
        run that could stop, ``checks``: (draws per chain, failed checks) of each check made.

    Examples
    --------
    >>> import numpyro, numpyro.distributions as dist
    >>> def model():
    ...     numpyro.sample("x", dist.Normal(1.0, 0.5))
    >>> run = run_nuts(model, seed=0, options=NUTSOptions(num_warmup=100, num_samples=100, num_chains=1,
    ...                                                   warm_start_steps=100))
    >>> run.samples["x"].shape, run.info["start"]
    ((1, 100), 'svi')
    """
    refuse_options(options, ("dense_mass", "centered"), why="these settings apply to irt.fit's site-based NUTS, "
                   "not to a run on the flat vector (leave them at their defaults)")
    refuse_options(options, ("progress_bar",), why="a run on the flat vector samples each chain in one compiled "
                   "program, which has no progress bar (irt.fit's site-based NUTS shows one)")
    start_time = time.perf_counter()
    data = {k: np.asarray(v) for k, v in (data or {}).items()}
    flat = _Flat(model, data)
    key_start, key_run = jax.random.split(jax.random.PRNGKey(seed))
    chains = options.num_chains
    lead = (chains,) if chains > 1 else ()
    init, variance, start = None, np.ones(flat.size, dtype=np.float32), "uniform"
    announce(options.warm_start_steps + _mcmc_iterations(options))  # the whole fit, before it starts
    if options.warm_start_steps:
        warm = compiled.program("nuts_warm_start", _key(layout, options, "warm"),
                                lambda: jax.jit(_warm_start(flat.potential, flat.size, lead, options)),
                                (key_start, data))
        init, fitted = (np.asarray(v) for v in warm(key_start, data))
        if np.isfinite(init).all() and np.isfinite(fitted).all():
            variance, start = fitted * options.mass_inflation, "svi"
        else:
            init, start = None, "uniform (warm start failed)"
    if init is None:
        init = np.asarray(uniform_start(key_start, lead + (flat.size,)))
    chain_method = resolve_chain_method(options.chain_method, chains)
    starts = init.reshape((chains, flat.size)) if chains > 1 else init[None]
    keys = jax.random.split(key_run, chains)
    if _stops(options, converged):
        samples, stats, stopping = _sample_blocks(model, flat, options, chain_method, layout, keys, starts, variance,
                                                  data, converged)
    else:
        z, diverging, steps = run_chains("nuts", _key(layout, options, "chains"), _nuts_chain(flat.potential, options),
                                         keys, starts, variance, data, per_chain=(True, False, False),
                                         chain_method=chain_method)
        samples, stats = _constrain(model, flat, options, layout, z, data), {"diverging": diverging, "n_steps": steps}
        stopping = {"num_samples": options.num_samples, "stopped": "fixed"}
    info = {"method": "nuts", "seconds": time.perf_counter() - start_time, "approximate": False,
            "chain_method": chain_method, "start": start, **stopping}
    return SamplerRun(samples=samples, sample_stats=stats, info=info)


def _stops(options: NUTSOptions, converged) -> bool:
    """Whether the chains are drawn block by block and may stop before ``num_samples`` (see :func:`run_nuts`)."""
    return converged is not None and options.min_samples is not None and options.min_samples < options.num_samples


def _constrain(model, flat: _Flat, options: NUTSOptions, layout, z, data: dict) -> dict:
    """The sites' values (NumPy arrays, (chain, draw, ...)) of flat draws ``z`` (chain, draw, size)."""
    program = compiled.program("nuts_constrain", _key(layout, options, "constrain"),
                               lambda: jax.jit(lambda x, d: constrained(model, jax.vmap(jax.vmap(flat.unravel))(x),
                                                                        2, d)),
                               (z, data))
    return {k: np.asarray(v) for k, v in program(z, data).items()}


def _sample_blocks(model, flat: _Flat, options: NUTSOptions, chain_method: str, layout, keys, starts, variance,
                   data: dict, converged) -> tuple[dict, dict, dict]:
    """The chains' warm-up, then blocks of ``options.block_size`` draws until ``converged`` finds no problem.

    ``converged(samples, sample_stats)`` (the draws so far) is asked after each block from
    ``options.min_samples`` draws per chain on; the draws of a run that stopped after k blocks are the
    first k blocks of a run that went on (each block continues the chains' states, keys included).
    Returns the samples, the sampler statistics and ``num_samples`` (draws per chain), ``stopped``
    (``converged`` or ``maximum``) and ``checks`` ((draws per chain, problems) of each check).
    """
    # A warm-up of whole blocks runs as blocks (the kernel adapts while its iteration count is in the warm-up):
    # one compiled NUTS program instead of two, ~5 CPU s less compilation at 20 x 600.
    blocks, rest = divmod(options.num_warmup, options.block_size)
    warm_up = 0 if rest == 0 else options.num_warmup
    states = run_chains(f"nuts_warm_up_{warm_up}", _key(layout, options, "warm_up"),
                        _nuts_warm_up(flat.potential, options, warm_up), keys, starts, variance, data,
                        per_chain=(True, False, False), chain_method=chain_method)
    block = _nuts_block(flat.potential, options)

    def advance(states):
        return run_chains("nuts_block", _key(layout, options, "block"), block, states, data, per_chain=(False,),
                          chain_method=chain_method)

    for _ in range(blocks if warm_up == 0 else 0):
        states = advance(states)[0]
    parts, checks, drawn, stopped = [], [], 0, "maximum"
    while drawn < options.num_samples:
        states, (z, diverging, steps) = advance(states)
        parts.append((_constrain(model, flat, options, layout, z, data), {"diverging": diverging, "n_steps": steps}))
        drawn = min(drawn + options.block_size, options.num_samples)
        if options.min_samples <= drawn < options.num_samples:
            problems = list(converged(*_joined(parts, drawn)))
            checks.append((drawn, problems))
            if not problems:
                stopped = "converged"
                break
    per_iteration = _mcmc_iterations(options) // (options.num_warmup + options.num_samples)
    announce(-per_iteration * (options.num_samples - drawn))   # the watcher's total: the iterations not run go
    samples, stats = _joined(parts, drawn)
    return samples, stats, {"num_samples": drawn, "stopped": stopped, "checks": checks}


def _joined(parts: list, drawn: int) -> tuple[dict, dict]:
    """Blocks of (samples, sample_stats) joined along the draw axis, the first ``drawn`` draws per chain."""
    return tuple({k: np.concatenate([part[i][k] for part in parts], axis=1)[:, :drawn] for k in parts[0][i]}
                 for i in (0, 1))


class _Flat:
    """The flat view of a model on data, built when first needed (a kept program does not need it)."""

    def __init__(self, model, data: dict):
        self._model, self._data, self._view = model, data, None

    def _get(self):
        if self._view is None:
            self._view = flat_potential(self._model, self._data)
        return self._view

    potential = property(lambda self: self._get().potential)
    unravel = property(lambda self: self._get().unravel)
    size = property(lambda self: self._get().size)


def _key(layout: Hashable | None, options: Any, part: str) -> Hashable | None:
    """The key of a kept program; None (compile for this run only) while a watcher listens, since the
    program then calls that watcher (:mod:`irt.inference.ticks`)."""
    return None if layout is None or watched() else (layout, part, compiled.layout_key(options))


def _warm_start(potential, size: int, lead: tuple, options: NUTSOptions):
    schedule = SVIOptions(num_steps=options.warm_start_steps, learning_rate=options.learning_rate,
                          learning_rate_decay=WARM_START_DECAY).schedule()

    def warm_start(key, data):
        key_fit, key_init = jax.random.split(key)
        loc, scale, _ = fit_mean_field(partial(potential, data=data), size, key_fit,
                                       num_steps=options.warm_start_steps, learning_rate=schedule,
                                       init_scale=WARM_START_SCALE)
        return loc + scale * jax.random.normal(key_init, lead + (size,)), scale ** 2

    return warm_start


def _nuts_kernel(potential, options: NUTSOptions):
    """NumPyro's NUTS kernel on ``potential``, data as arguments: (start, sample_kernel).

    ``start(key, init, inverse_mass, data)`` is the chain's initial state; it also sets the settings that
    ``sample_kernel`` reads (warm-up length, tree depth), so a program that continues a chain calls it too.
    ``start(..., potential=False)`` leaves the state's potential energy and gradient at zero (no gradient is
    traced): the program that draws from it sets them first (:func:`_at_position`).
    """
    from numpyro.infer.hmc import hmc
    from numpyro.infer.util import ParamInfo

    init_kernel, sample_kernel = hmc(potential_fn_gen=lambda data: partial(potential, data=data), algo="NUTS")

    def start(key, init, inverse_mass, data, *, potential: bool = True):
        if not potential:
            init = ParamInfo(init, jax.numpy.zeros((), init.dtype), jax.numpy.zeros_like(init))
        return init_kernel(init, options.num_warmup, inverse_mass_matrix=inverse_mass,
                           target_accept_prob=options.target_accept_prob, max_tree_depth=options.max_tree_depth,
                           model_args=(data,), rng_key=key)

    return start, sample_kernel


def _nuts_chain(potential, options: NUTSOptions):
    """One NUTS chain as a function of (key, start, inverse mass matrix, data): warm-up and every draw."""
    start, sample_kernel = _nuts_kernel(potential, options)

    def nuts_chain(key, init, inverse_mass, data):
        return scan_nuts(start(key, init, inverse_mass, data), sample_kernel, options, model_args=(data,))

    return nuts_chain


def _nuts_warm_up(potential, options: NUTSOptions, iterations: int):
    """One NUTS chain's start and first ``iterations`` as a function of (key, start, inverse mass matrix, data):
    its state after them."""
    start, sample_kernel = _nuts_kernel(potential, options)

    def nuts_warm_up(key, init, inverse_mass, data):
        if not iterations:   # only the start: the first block evaluates the potential (_nuts_block)
            return start(key, init, inverse_mass, data, potential=False)
        return warm_up_nuts(start(key, init, inverse_mass, data), sample_kernel, iterations, model_args=(data,))

    return nuts_warm_up


def _nuts_block(potential, options: NUTSOptions):
    """``options.block_size`` more draws of a warmed-up chain as a function of (state, data): (state, draws)."""
    start, sample_kernel = _nuts_kernel(potential, options)

    def nuts_block(state, data):
        # sets the kernel's settings that its sampling reads, traced on its own: nothing of it enters the program
        jax.eval_shape(start, state.rng_key, state.z, state.adapt_state.inverse_mass_matrix, data)
        return draw_nuts(_at_position(potential, state, data), sample_kernel, options.block_size, model_args=(data,))

    return nuts_block


def _at_position(potential, state, data):
    """``state`` with the potential energy and its gradient evaluated at its position ``state.z`` (traceable).

    A block of draws sets them itself rather than take them from the program before it: the program that
    only starts the chains then traces no gradient. At 20 x 600 (``gap_score``) its compilation fell from 7.2
    to 1.4 CPU s and the block's grew by 3.9 (``benchmarks/gap/RESULTS.md``, ninth session); one gradient
    more per block of draws.
    """
    energy, gradient = jax.value_and_grad(potential)(state.z, data)
    return state._replace(potential_energy=energy, z_grad=gradient)


def scan_nuts(state, sample_kernel, options: NUTSOptions, **kernel_kwargs) -> tuple:
    """One NUTS chain from its initial ``state``: ``num_warmup`` then ``num_samples`` iterations of ``sample_kernel``.

    Returns (z, diverging, num_steps), one row per kept draw. Each iteration ticks
    (:mod:`irt.inference.ticks`: a watcher of the fit hears it). Traceable (called inside compiled chains).
    Warm-up and draws are one scan of the kernel (which adapts while ``state.i < num_warmup``), so the
    kernel is compiled once, not once per phase (half the compilation of a fit); the warm-up's rows are
    dropped afterwards.
    """
    rows = draw_nuts(state, sample_kernel, options.num_warmup + options.num_samples, **kernel_kwargs)[1]
    return jax.tree_util.tree_map(lambda x: x[options.num_warmup:], rows)


def warm_up_nuts(state, sample_kernel, num_warmup: int, **kernel_kwargs):
    """``num_warmup`` adapting iterations of ``sample_kernel`` from ``state``; the state after them (traceable)."""
    def warm_up(state, _):
        tick_each(state.i)
        return sample_kernel(state, **kernel_kwargs), None

    return jax.lax.scan(warm_up, state, None, length=num_warmup)[0]


def draw_nuts(state, sample_kernel, num_draws: int, **kernel_kwargs) -> tuple:
    """``num_draws`` iterations of ``sample_kernel`` from ``state``: (the state after them, (z, diverging,
    num_steps) one row per draw). A chain continued block by block draws what one call of all the blocks
    together draws: the key is the state's (traceable)."""
    def draw(state, _):
        tick_each(state.i)
        state = sample_kernel(state, **kernel_kwargs)
        return state, (state.z, state.diverging, state.num_steps)

    return jax.lax.scan(draw, state, None, length=num_draws)


def run_chains(name: str, layout: Hashable | None, chain, keys, *args, per_chain: tuple[bool, ...],
               chain_method: str):
    """``chain(key, *args)`` for each of ``keys``, compiled once per layout; outputs stacked (chain, ...) as NumPy.

    ``keys`` is the first argument of each chain: its keys, or any tree of arrays with a leading chain
    axis (the chains' states, to continue them). ``per_chain`` says which of ``args`` have a leading
    chain axis (the others are shared). ``chain_method``: ``parallel`` (one chain per device),
    ``vectorized`` (in lock-step) or ``sequential`` (one after another; also for a single chain).
    """
    num_chains = len(jax.tree_util.tree_leaves(keys)[0])
    if chain_method == "sequential" or num_chains == 1:
        def arguments(c):
            def at(tree):
                return jax.tree_util.tree_map(lambda a: a[c], tree)

            return (at(keys), *(at(a) if split else a for a, split in zip(args, per_chain)))

        run = compiled.program(f"{name}_chain", layout, lambda: jax.jit(chain), arguments(0))
        outs = [run(*arguments(c)) for c in range(num_chains)]
        return jax.tree_util.tree_map(lambda *leaves: np.stack([np.asarray(x) for x in leaves]), *outs)
    transform = jax.pmap if chain_method == "parallel" else (lambda f, **kw: jax.jit(jax.vmap(f, **kw)))
    in_axes = (0, *(0 if split else None for split in per_chain))
    run = compiled.program(f"{name}_chains_{chain_method}", layout, lambda: transform(chain, in_axes=in_axes),
                           (keys, *args))
    return jax.tree_util.tree_map(np.asarray, run(keys, *args))


def run_svi(model, *, seed: int, options: SVIOptions, data: dict | None = None,
            layout: Hashable | None = None) -> SamplerRun:
    """Mean-field normal SVI on ``model``'s flat unconstrained vector; ``options.num_draws`` draws (one chain).

    ``guide`` must be ``"normal"`` and ``batch_size`` None (the low-rank guide and minibatches are
    :func:`irt.fit`'s site-based SVI). ``data`` and ``layout`` as in :func:`run_nuts`.

    Examples
    --------
    >>> import numpyro, numpyro.distributions as dist
    >>> def model():
    ...     numpyro.sample("x", dist.Normal(1.0, 0.5))
    >>> run = run_svi(model, seed=0, options=SVIOptions(num_steps=500, num_draws=400))
    >>> run.samples["x"].shape, run.info["approximate"]
    ((1, 400), True)
    """
    refuse_options(options, ("guide", "batch_size"), why="the flat-vector SVI fits a mean-field normal to every "
                   "answer; the low-rank guide and minibatches are irt.fit's (leave them at their defaults)")
    start_time = time.perf_counter()
    data = {k: np.asarray(v) for k, v in (data or {}).items()}
    flat = _Flat(model, data)
    announce(options.num_steps)

    def build():
        potential, unravel, size = flat.potential, flat.unravel, flat.size

        def svi_fit(key, data):
            key_fit, key_draw = jax.random.split(key)
            loc, scale, losses = fit_mean_field(partial(potential, data=data), size, key_fit,
                                                num_steps=options.num_steps, learning_rate=options.schedule(),
                                                init_scale=options.init_scale,
                                                noise_steps=noise_block(options.num_steps))
            draws = loc + scale * jax.random.normal(key_draw, (1, options.num_draws, size))
            return constrained(model, jax.vmap(jax.vmap(unravel))(draws), 2, data), losses

        return jax.jit(svi_fit)

    key = jax.random.PRNGKey(seed)
    samples, losses = compiled.program("svi_fit", _key(layout, options, "svi"), build, (key, data))(key, data)
    losses = np.asarray(losses)
    samples = {k: np.asarray(v) for k, v in samples.items()}
    tail = max(1, len(losses) // 10)
    info = {"method": "svi", "seconds": time.perf_counter() - start_time, "approximate": True,
            "final_loss": float(losses[-tail:].mean())}
    return SamplerRun(samples=samples, sample_stats={}, info=info)
