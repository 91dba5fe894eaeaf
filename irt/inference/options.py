"""Sampler settings as typed, validated, frozen records, and the one rule that picks the chain method.

This module owns the settings of every NUTS and SVI run in the distribution: :func:`irt.fit`
(methods ``nuts`` and ``svi``), ``gapeval.gap_score``, ``gapeval.decay`` (0/1 scores by NUTS) and
``gapeval.decay.irt_decay`` all build a :class:`NUTSOptions` or an :class:`SVIOptions` and hand it to
the runners of :mod:`irt.inference`. A record checks its values when it is made, so a bad setting is
refused before anything compiles. The class defaults are :func:`irt.fit`'s; a caller with other
defaults keeps them as one record (e.g. ``gapeval.sampling.GAP_NUTS``), never as loose numbers.

Some fields only apply to one of the two ways a model is sampled, and say so:

* **sites** — :func:`irt.fit`'s estimators run NumPyro on the model's sample sites (``dense_mass``,
  ``centered``, and for SVI ``batch_size`` and ``guide="lowrank"``);
* **flat** — :mod:`irt.inference.runners` runs a model on one flat vector of its unconstrained latent
  values (``warm_start_steps``, ``learning_rate`` of the warm start, ``mass_inflation``).

Importing this module does not import JAX.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from irt.errors import IRTError, check_count as _count, check_positive as _positive

__all__ = ["NUTSOptions", "SVIOptions", "CHAIN_METHODS", "GUIDES", "FULL_BATCH_DECAY", "resolve_chain_method"]

ChainMethod = Literal["parallel", "sequential", "vectorized"]
#: How NUTS chains may run (NumPyro's names); None in a record picks by :func:`resolve_chain_method`.
CHAIN_METHODS: tuple[str, ...] = ("parallel", "sequential", "vectorized")
#: Factor the SVI step size decays to over a run that sees every response at each step (the default of
#: :class:`SVIOptions`; minibatched runs keep it constant): ``docs/irt.md``, "The step size decays".
FULL_BATCH_DECAY = 0.01
#: Variational families of :class:`SVIOptions`: a mean-field normal, or a low-rank multivariate normal.
GUIDES: tuple[str, ...] = ("normal", "lowrank")


def resolve_chain_method(chain_method: str | None, num_chains: int) -> str:
    """How ``num_chains`` NUTS chains run: ``chain_method`` if given, else by the devices JAX sees.

    ``parallel`` (one chain per device, compiled once) when JAX sees at least ``num_chains``
    devices; otherwise ``vectorized`` (the chains in lock-step on one device, compiled once:
    on the Gap Score benchmark 27.9 s against 17.4 s in parallel, where ``sequential`` compiles once
    per chain). On a CPU, ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` set before JAX
    starts gives N devices.

    Examples
    --------
    >>> resolve_chain_method("sequential", 4)
    'sequential'
    """
    if chain_method is not None:
        if chain_method not in CHAIN_METHODS:
            raise IRTError(f"chain_method={chain_method!r} is not one of {list(CHAIN_METHODS)} (or None to choose "
                             "by the devices JAX sees)")
        return chain_method
    import jax

    return "parallel" if jax.local_device_count() >= num_chains else "vectorized"


@dataclass(frozen=True)
class NUTSOptions:
    """Settings of a No-U-Turn sampler run (NumPyro's names).

    Attributes
    ----------
    num_warmup, num_samples, num_chains : int
        Warm-up iterations (step size and mass matrix adaptation), kept draws per chain, chains.
    chain_method : {"parallel", "sequential", "vectorized"} or None
        How the chains run; None picks by :func:`resolve_chain_method`.
    target_accept_prob : float
        Target acceptance probability of the step-size adaptation, in (0, 1); raise it (e.g. 0.95)
        when there are divergent transitions.
    max_tree_depth : int
        Largest tree depth (at most 2**depth leapfrog steps per iteration).
    warm_start_steps : int
        *flat only.* Steps of a mean-field SVI fit before NUTS: every chain starts from a draw of the
        fitted normal, whose variances (times ``mass_inflation``) are the initial diagonal inverse mass
        matrix, so a short warm-up suffices. 0 starts each chain uniformly on (-0.5, 0.5) in the
        unconstrained space with a unit mass matrix (then give ``num_warmup`` >= 500).
    learning_rate : float
        *flat only.* Adam step size of the warm start (decaying geometrically to a tenth over its steps).
    mass_inflation : float
        *flat only.* Factor on the warm start's variances: mean-field variances understate the
        posterior's.
    min_samples : int or None
        *flat only.* Draws per chain after which a run may stop: given a convergence check
        (:func:`irt.inference.runners.run_nuts`'s ``converged``), the chains are drawn in blocks of
        ``block_size`` and stop after the first block from ``min_samples`` on whose draws pass the
        check, else at ``num_samples``. None (or not below ``num_samples``): always ``num_samples``.
    block_size : int
        *flat only.* Draws per chain between two checks of a run that may stop (see ``min_samples``).
    dense_mass : bool, list or None
        *sites only.* NumPyro's ``dense_mass``; None: a dense block for the abilities and the
        location parameters when there are at most ``irt.inference.nuts.DENSE_ABILITY_LIMIT``
        abilities (respondents x dimensions), diagonal elsewhere.
    centered : float
        *sites only.* Parameterisation of the hierarchical item sites: 0 non-centred (robust when
        items have few responses), 1 centred, or in between.
    progress_bar : bool
        Show NumPyro's progress bar.

    Raises
    ------
    ValueError
        A count that is not a positive integer, a probability outside (0, 1), an unknown
        ``chain_method``, a negative ``warm_start_steps``, ...

    Examples
    --------
    >>> NUTSOptions(num_samples=200).num_warmup
    500
    >>> NUTSOptions(num_chains=0)
    Traceback (most recent call last):
    ...
    irt.errors.IRTError: num_chains=0 must be a positive integer
    """

    num_warmup: int = 500
    num_samples: int = 1000
    num_chains: int = 2
    chain_method: ChainMethod | None = None
    target_accept_prob: float = 0.8
    max_tree_depth: int = 10
    warm_start_steps: int = 0
    learning_rate: float = 0.05
    mass_inflation: float = 2.0
    min_samples: int | None = None
    block_size: int = 200
    dense_mass: bool | list | None = None
    centered: float = 0.0
    progress_bar: bool = False

    def __post_init__(self):
        for name in ("num_warmup", "num_samples", "num_chains"):
            _count(name, getattr(self, name))
        _count("max_tree_depth", self.max_tree_depth, 1)
        _count("block_size", self.block_size)
        if self.min_samples is not None:
            _count("min_samples", self.min_samples)
        _count("warm_start_steps", self.warm_start_steps, 0)
        if self.chain_method is not None and self.chain_method not in CHAIN_METHODS:
            raise IRTError(f"chain_method={self.chain_method!r} is not one of {list(CHAIN_METHODS)} (or None to "
                             "choose by the devices JAX sees)")
        if not 0 < self.target_accept_prob < 1:
            raise IRTError(f"target_accept_prob={self.target_accept_prob!r} must lie strictly between 0 and 1, "
                             "e.g. 0.8 (raise it towards 0.95 against divergent transitions)")
        _positive("learning_rate", self.learning_rate)
        _positive("mass_inflation", self.mass_inflation)
        if not 0 <= self.centered <= 1:
            raise IRTError(f"centered={self.centered!r} must lie in [0, 1] (0 non-centred, 1 centred)")

    @property
    def num_draws(self) -> int:
        """Draws kept over all chains."""
        return self.num_chains * self.num_samples


@dataclass(frozen=True)
class SVIOptions:
    """Settings of a stochastic variational inference run (Adam on the ELBO).

    Attributes
    ----------
    num_steps : int
        Optimisation steps.
    learning_rate : float
        Adam step size at the first step.
    learning_rate_decay : float or None
        Factor the step size is multiplied by over the run, geometrically: 1 keeps it constant, 0.1
        ends at a tenth of ``learning_rate``. None (the default): :data:`FULL_BATCH_DECAY` when every
        step sees every response, 1 with minibatches (``batch_size``). On every response the decay lets
        the iterates settle: at a constant 0.02 two fits of one data set (other seeds) put the items
        0.2-0.4 posterior sd apart on average at 10^6 responses (up to 1.9), with the decay 0.05-0.06
        (``docs/irt.md``). With minibatches of 10,000 at 10^7 (each item in about one response of a
        batch) the decayed steps left the slopes' spread unsettled (the scale check failed), which a
        constant step size did not. With far fewer steps than the default keep it at 1 (1,000 decayed
        steps did not converge at 10^6: the scale check failed).
    num_draws : int
        Draws taken from the fitted approximation (one "chain").
    init_scale : float
        Initial standard deviation of the approximation, in the unconstrained space.
    guide : {"normal", "lowrank"}
        Mean-field normal, or (*sites only*) a low-rank multivariate normal.
    batch_size : int or None
        *sites only.* Responses per minibatch; None uses every response at each step.
    grid_theta : bool
        *sites only.* Redraw θ, for each draw of the item parameters, from its exact grid posterior
        given them (the fixed-item correction of :func:`irt.inference.svi.run`; at most two
        dimensions). False keeps the guide's own θ marginals, whose intervals are far too narrow: the
        θ table then reports point estimates only.

    Raises
    ------
    ValueError
        A count that is not a positive integer, fewer than two draws, an unknown guide, ...

    Examples
    --------
    >>> SVIOptions(num_steps=500, guide="lowrank").num_draws
    1000
    """

    num_steps: int = 3000
    learning_rate: float = 0.02
    learning_rate_decay: float | None = None
    num_draws: int = 1000
    init_scale: float = 0.1
    guide: str = "normal"
    batch_size: int | None = None
    grid_theta: bool = True

    def __post_init__(self):
        _count("num_steps", self.num_steps)
        _count("num_draws", self.num_draws)
        if self.num_draws < 2:
            raise IRTError(f"num_draws={self.num_draws!r} must be at least 2 (intervals need several draws)")
        _positive("learning_rate", self.learning_rate)
        _positive("init_scale", self.init_scale)
        if self.learning_rate_decay is not None and not 0 < self.learning_rate_decay <= 1:
            raise IRTError(f"learning_rate_decay={self.learning_rate_decay!r} must lie in (0, 1] "
                             "(1 keeps the step size constant, 0.1 ends at a tenth)")
        if self.guide not in GUIDES:
            raise IRTError(f"guide={self.guide!r} is not one of {list(GUIDES)}")
        if self.batch_size is not None:
            _count("batch_size", self.batch_size)
        if not isinstance(self.grid_theta, bool):
            raise IRTError(f"grid_theta={self.grid_theta!r} must be True or False")

    def resolved(self, *, minibatches: bool) -> SVIOptions:
        """These options with ``learning_rate_decay`` set where it is None (the default): constant with
        minibatches, :data:`FULL_BATCH_DECAY` when every step sees every response.

        Examples
        --------
        >>> SVIOptions().resolved(minibatches=False).learning_rate_decay
        0.01
        >>> SVIOptions(batch_size=1000).resolved(minibatches=True).learning_rate_decay
        1.0
        """
        if self.learning_rate_decay is not None:
            return self
        return replace(self, learning_rate_decay=1.0 if minibatches else FULL_BATCH_DECAY)

    def schedule(self):
        """The step size as a function of the step number (what NumPyro's ``Adam`` takes); a decay left
        at None is the full-batch one (:meth:`resolved`)."""
        decay = self.resolved(minibatches=False).learning_rate_decay
        rate, decay, steps = float(self.learning_rate), float(decay), int(self.num_steps)
        if decay == 1.0:
            return rate
        return lambda i: rate * decay ** (i / steps)
