r"""Item parameters of the paired scale sampled directly in their sum-to-zero subspace.

The paired scale fixes location and scale on the item side (``docs/methods.md`` §2): the log-slopes sum
to zero, and the difficulties have mean zero within each direction. Centring unconstrained draws
(the earlier form, :func:`gapeval.gap.model.sample_item_parameters`) leaves one direction per constraint
that the likelihood cannot see: the mean of the standardized log-slopes and the mean of the
standardized difficulties of each direction. Only the prior pins them, to a spread of about
``1/sqrt(items)`` (0.03 for 1,200 items) against 0.3-0.8 for every other coordinate, so NUTS with a
diagonal mass matrix needed ~31 leapfrog steps per iteration on 20 models x 600 pairs.

Here each constrained vector is ``H z`` with ``z`` of length ``n - 1`` standard normal and ``H`` the
first ``n - 1`` columns of the Householder reflection that maps the last unit vector to
``1/sqrt(n)``: an orthonormal basis of the sum-zero subspace, applied in O(n). For iid normal draws,
``H z`` has exactly the distribution of the centred draws, ``N(0, I - 11'/n)``, so with every item
paired (or none) the prior is the one of the centring form and only the sampler's geometry changes.
The difficulties are centred over the **paired** items of each direction only: an unpaired item
gets a free difficulty (same prior spread), so adding or removing unpaired items cannot move the
scale on which the gaps are read (``docs/gap_score.md``, "The estimand").
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

__all__ = ["sum_zero", "paired_item_parameters"]


def sum_zero(z: jnp.ndarray, n: int) -> jnp.ndarray:
    """Map ``z`` (length ``n - 1``) isometrically onto the vectors of length ``n`` that sum to zero.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.asarray(sum_zero(np.array([1.0, -2.0, 0.5]), 4))
    >>> round(float(x.sum()), 6), round(float(np.linalg.norm(x)), 6)   # sums to 0, norm of z kept
    (0.0, 2.291288)
    """
    if n <= 1:
        return jnp.zeros(n)
    root = np.sqrt(n)
    u = np.full(n, -1.0 / root)
    u[-1] = 1.0 - 1.0 / root
    return jnp.concatenate([z, jnp.zeros(1)]) + u * (jnp.sum(z) / (root - 1.0))


def _pair_coordinates(z: jnp.ndarray, partner: np.ndarray, paired: np.ndarray):
    """Split ``z`` into the sum and difference coordinates of the complete pairs and the free items' values.

    Returns ``(s, d, understanding, generation, free)``: ``s`` and ``d`` (one per complete pair, each
    summing to zero), the item codes of each pair's two forms, and the codes of the items outside
    complete pairs (whose values are the rest of ``z``). ``z`` has two values per item less two.
    """
    generation = np.flatnonzero((partner >= 0) & paired)
    understanding = partner[generation]
    free = np.setdiff1d(np.arange(len(partner)), np.concatenate([generation, understanding]))
    n = len(generation)
    s = sum_zero(z[:max(n - 1, 0)], n)
    d = sum_zero(z[max(n - 1, 0):max(2 * n - 2, 0)], n)
    return s, d, understanding, generation, free


def _centred_per_slot(x: jnp.ndarray, item_slot: np.ndarray, paired: np.ndarray) -> jnp.ndarray:
    """``x`` minus the mean of its paired entries within each slot."""
    for slot in np.unique(item_slot[paired]):
        sel = item_slot == slot
        ref = sel & paired
        x = x - jnp.where(sel, jnp.sum(jnp.where(ref, x, 0.0)) / ref.sum(), 0.0)
    return x


def paired_item_parameters(item_slot: np.ndarray, partner: np.ndarray, *, paired: np.ndarray | None = None,
                           generation_shift=0.0):
    """Slopes and difficulties of the paired scale, (items,) each, constraints built in.

    ``log a = sigma_log_a * H z_a`` (sums to zero). The two forms of a pair have difficulties
    ``beta_c + epsilon_i``: a bivariate normal with variance ``sigma_beta^2 + sigma_epsilon^2`` and
    covariance ``sigma_beta^2``, drawn along its two principal axes, the pair's mean difficulty and its
    difference between the forms:

    ``b_U = (sqrt(2 sigma_beta^2 + sigma_epsilon^2) s + sigma_epsilon d) / sqrt(2)``,
    ``b_G = (sqrt(2 sigma_beta^2 + sigma_epsilon^2) s - sigma_epsilon d) / sqrt(2)``,

    with ``s`` and ``d`` standard normal, each summing to zero over the complete pairs (so the
    difficulties of each direction have mean zero there); both come from the site ``b_z``. Exchanging
    the direction labels maps ``d`` to ``-d`` and leaves every other coordinate in place, so a
    mean-field approximation fitted on these coordinates gives the same gaps, negated, whichever
    direction is called understanding (the earlier form, ``b_G`` given ``b_U``, did not: 0.32 posterior
    sd apart under SVI). Items outside a complete pair get a free difficulty (same prior spread). A
    final centring over the paired items of each direction is a no-op up to rounding. ``partner[i]``
    is the understanding form of item i's pair for a generation form, -1 otherwise; ``paired`` marks
    the items of complete pairs (default: every item with a partner, and its partner).
    ``generation_shift`` (delta) is added to every generation difficulty after the centring (the
    difficulty offset of the directions).
    """
    item_slot, partner = np.asarray(item_slot), np.asarray(partner)
    if paired is None:
        paired = np.zeros(len(item_slot), dtype=bool)
        paired[partner >= 0] = True
        paired[partner[partner >= 0]] = True
    paired = np.asarray(paired, dtype=bool)
    num_items = len(item_slot)
    num_pairs = int(((partner >= 0) & paired).sum())
    sigma_log_a = numpyro.sample("sigma_log_a", dist.HalfNormal(0.5))
    sigma_beta = numpyro.sample("sigma_beta", dist.HalfNormal(2.0))
    sigma_epsilon = numpyro.sample("sigma_epsilon", dist.HalfNormal(1.0))
    with numpyro.plate("item_free", num_items - 1):
        log_a_z = numpyro.sample("log_a_z", dist.Normal(0.0, 1.0))
    with numpyro.plate("item_free_by_direction", num_items - 2 * min(num_pairs, 1)):
        b_free = numpyro.sample("b_z", dist.Normal(0.0, 1.0))
    log_a = sigma_log_a * sum_zero(log_a_z, num_items)
    s, d, understanding, generation, free = _pair_coordinates(b_free, partner, paired)
    total = jnp.sqrt(sigma_beta ** 2 + sigma_epsilon ** 2)
    mean_part = jnp.sqrt(2.0 * sigma_beta ** 2 + sigma_epsilon ** 2) * s / np.sqrt(2.0)
    difference_part = sigma_epsilon * d / np.sqrt(2.0)
    b = jnp.zeros(num_items)     # understanding, generation and free are disjoint: unique indices
    b = b.at[understanding].set(mean_part + difference_part, unique_indices=True).at[generation].set(
        mean_part - difference_part, unique_indices=True)
    b = b.at[free].set(total * b_free[max(2 * num_pairs - 2, 0):], unique_indices=True)
    b = _centred_per_slot(b, item_slot, paired) + generation_shift * (item_slot == 1)
    a = numpyro.deterministic("a", jnp.exp(log_a))
    return a, numpyro.deterministic("b", b)
