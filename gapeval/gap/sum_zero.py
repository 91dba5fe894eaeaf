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


def _per_slot(z: jnp.ndarray, item_slot: np.ndarray, paired: np.ndarray) -> jnp.ndarray:
    """Scatter ``z`` into a vector whose paired entries sum to zero within each slot; unpaired entries are free.

    ``z`` has one value per item less one per slot present among the paired items.
    """
    parts, order, start = [], [], 0
    for slot in np.unique(item_slot[paired]):
        members = np.flatnonzero((item_slot == slot) & paired)
        parts.append(sum_zero(z[start:start + len(members) - 1], len(members)))
        order.append(members)
        start += len(members) - 1
    free = np.flatnonzero(~paired)
    parts.append(z[start:start + len(free)])
    order.append(free)
    inverse = np.argsort(np.concatenate(order))
    return jnp.concatenate(parts)[inverse]


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
    covariance ``sigma_beta^2``, drawn from standardized values whose paired entries sum to zero within
    each direction (``b_z``); a final centring over the paired items of each direction is a no-op up to
    rounding. ``partner[i]`` is the understanding form of item i's pair for a generation form, -1
    otherwise; ``paired`` marks the items of a pair (default: all). ``generation_shift`` (delta) is
    added to every generation difficulty after the centring (the difficulty offset of the directions).
    """
    item_slot, partner = np.asarray(item_slot), np.asarray(partner)
    paired = np.ones(len(item_slot), dtype=bool) if paired is None else np.asarray(paired, dtype=bool)
    num_items, num_slots = len(item_slot), len(np.unique(item_slot[paired]))
    sigma_log_a = numpyro.sample("sigma_log_a", dist.HalfNormal(0.5))
    sigma_beta = numpyro.sample("sigma_beta", dist.HalfNormal(2.0))
    sigma_epsilon = numpyro.sample("sigma_epsilon", dist.HalfNormal(1.0))
    with numpyro.plate("item_free", num_items - 1):
        log_a_z = numpyro.sample("log_a_z", dist.Normal(0.0, 1.0))
    with numpyro.plate("item_free_by_direction", num_items - num_slots):
        b_free = numpyro.sample("b_z", dist.Normal(0.0, 1.0))
    log_a = sigma_log_a * sum_zero(log_a_z, num_items)
    b_z = _per_slot(b_free, item_slot, paired)
    total = jnp.sqrt(sigma_beta ** 2 + sigma_epsilon ** 2)
    rho = sigma_beta ** 2 / total ** 2
    has_partner = partner >= 0
    # sqrt(1 - rho^2) written as (sigma_epsilon / total) sqrt(1 + rho): finite gradient as sigma_epsilon -> 0
    spread = sigma_epsilon / total * jnp.sqrt(1.0 + rho)
    b = total * jnp.where(has_partner, rho * b_z[np.maximum(partner, 0)] + spread * b_z, b_z)
    b = _centred_per_slot(b, item_slot, paired) + generation_shift * (item_slot == 1)
    a = numpyro.deterministic("a", jnp.exp(log_a))
    return a, numpyro.deterministic("b", b)
