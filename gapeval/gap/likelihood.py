"""The Gap Score's likelihood with the pair effect integrated out (Gauss-Hermite), for the sampler and for LOO.

:func:`quadrature_loglik` is what the sampler's potential sums (float32, traced, slot-major layout);
:func:`marginal_loglik` the same quantity per answered question in float64 NumPy, for PSIS-LOO and as
the reference the first is tested against. Both take the observation layer
(:mod:`gapeval.gap.observation`: chance levels, judge error) when the data have one.

For 0/1 answers the gradient of :func:`quadrature_loglik` is written by hand (:func:`binary_marginal`, a
custom VJP): NUTS takes ~30 of them a draw. Computed in the same pass as the value, with one exponential per
cell instead of one per cell and node (the nodes' odds differ by a factor per (slot, unit)), it makes the whole
potential's gradient on 20 models x 600 pairs cost 0.14-0.16 ms CPU on one device (0.12-0.13 with both
chains in parallel), against 0.20-0.23 (0.17) with the seventh session's hand-written gradient and
0.33-0.35 (0.20-0.21) with JAX's derivative of the same sum (``benchmarks/gap/RESULTS.md``, eighth session).
Answers seen through the observation layer take the same treatment (:func:`layer_marginal`): the potential's
gradient with chance levels costs 0.10 against 0.20 ms CPU at 6 models x 640 pairs, 0.25 against 0.44 at 20 x 600.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import expit, gammaln, log_expit, logsumexp

from gapeval.gap.observation import cell_weights

if TYPE_CHECKING:
    from gapeval.gap.layout import GapData

__all__ = ["CLIP", "GRADIENTS", "pair_effect_nodes", "quadrature_loglik", "binary_marginal", "layer_quadrature_loglik",
           "layer_marginal", "marginal_loglik"]

#: Logits are clipped to +-CLIP inside the likelihood: sigmoid(-30) = 1e-13, so the product of a
#: pair's two probabilities stays far above float32's smallest normal number.
CLIP = 30.0
#: How :func:`quadrature_loglik` differentiates 0/1 answers: ``hand`` (:func:`binary_marginal`, the default)
#: or ``autodiff`` (JAX's derivative of the same sum: the form before, kept as the reference and for benchmarks).
GRADIENTS: tuple[str, ...] = ("hand", "autodiff")


def pair_effect_nodes(num_nodes: int, num_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and normalised weights integrating the pair effect out (one
    node when there are no pairs)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(num_nodes if num_pairs else 1)
    return nodes, weights / weights.sum()


def quadrature_loglik(a_slots, logits, sigma_gamma, *, y, mask, points, num_pairs, num_nodes, gradient="hand"):
    """Sum over (model, unit) of log sum_q w_q prod_slot P(y | gamma = sigma_gamma * node_q).

    Slot-major layout: ``a_slots`` (2, units) and ``logits`` = theta - b (2, models, units); ``y``
    and ``mask`` are in the data layout (models, units, 2). Units are the contiguous axis, so every
    operation is a loop over long rows (the earlier (models, units, 2, nodes) layout put the short
    slot and node axes innermost and cost ~3x more CPU per gradient on 20 models x 600 pairs).

    Binary answers are computed in probability space: for each (slot, model, unit) the probability
    of the observed answer is sigmoid(+-eta) (sign 2y - 1), a masked cell contributes 1, and one log
    per (model, unit) follows the weighted sum over nodes: one exponential per term instead of two
    log-sigmoids and a log-sum-exp; ``gradient`` (one of :data:`GRADIENTS`) says whether its gradient is
    the hand-written one (:func:`binary_marginal`) or JAX's. Binomial answers (``points > 1``) are summed
    in log space (JAX's gradient).
    """
    if gradient not in GRADIENTS:
        raise ValueError(f"gradient={gradient!r} is not one of {list(GRADIENTS)}")
    num_units = logits.shape[-1]
    nodes, weights = pair_effect_nodes(num_nodes, num_pairs)
    is_pair = np.arange(num_units) < num_pairs
    y = jnp.moveaxis(jnp.asarray(y), -1, 0)                                # (2, M, U)
    mask = jnp.moveaxis(jnp.asarray(mask), -1, 0)
    base = a_slots[:, None, :] * logits                                    # (2, M, U)
    step = jnp.where(is_pair, a_slots * sigma_gamma, 0.0)[:, None, :]      # (2, 1, U)
    if points == 1:
        if gradient == "hand":   # sign of the observed answer, 0 for a cell without one (probability 1)
            sign = jnp.where(mask, jnp.where(y > 0, 1.0, -1.0), 0.0)
            return binary_marginal(a_slots, logits, jnp.where(is_pair, sigma_gamma, 0.0), sign,
                                   tuple(float(n) for n in nodes), tuple(float(w) for w in weights))
        sign = jnp.where(y > 0, 1.0, -1.0)
        base, step = sign * base, sign * step
        total = 0.0
        for node, weight in zip(nodes, weights):
            prob = jnp.where(mask, jax.nn.sigmoid(jnp.clip(base + node * step, -CLIP, CLIP)), 1.0)
            total = total + weight * prob[0] * prob[1]
        return jnp.sum(jnp.log(total))
    terms = []
    for node, weight in zip(nodes, weights):
        eta = base + node * step
        ll = jnp.where(mask, points * jax.nn.log_sigmoid(eta) - (points - y) * eta, 0.0)
        terms.append(ll[0] + ll[1] + np.log(weight))
    return jnp.sum(jax.scipy.special.logsumexp(jnp.stack(terms), axis=0))


@partial(jax.custom_vjp, nondiff_argnums=(4, 5))
def binary_marginal(a_slots, logits, pair_scale, sign, nodes: tuple, weights: tuple):
    r"""sum over (model, unit) of log sum_q w_q sigmoid(z_0q) sigmoid(z_1q), by hand, for 0/1 answers.

    With ``a_slots`` (2, units) the slopes, ``logits`` (2, models, units) theta - b, ``pair_scale`` (units,)
    sigma_gamma on a pair and 0 elsewhere, and ``sign`` (2, models, units) +1 / -1 for an observed 1 / 0
    and 0 for a cell without an answer (probability 1), the signed logit of the observed answer at node
    n_q is z_q = sign a (logit + n_q pair_scale). Logits below -:data:`CLIP` are taken as -CLIP; ``nodes``
    and ``weights`` are the quadrature's (floats). The gradient with respect to ``a_slots``, ``logits``
    and ``pair_scale`` is computed in the same pass as the value (a custom VJP; none flows to ``sign``,
    the data): with t = exp(-z), p = 1 / (1 + t) and dp/dz = t p^2, per (model, unit) with
    T = sum_q w_q p_0q p_1q,

    .. math::

        G_0 = \sum_q w_q\, t_{0q} p_{0q}^2 p_{1q} / T, \qquad
        H_0 = \sum_q n_q w_q\, t_{0q} p_{0q}^2 p_{1q} / T

    (slot 1 alike) are the derivatives by a shift of z common to the nodes and by its spacing; the
    logits get sign a G, the slopes sum_models sign (G logit + H pair_scale), the pair scale
    sum_(slots, models) sign a H. The odds t_q are t_0 exp(-sign n_q a pair_scale): one exponential per
    cell and a few per (slot, unit), not one per node (:func:`_odds`).
    """
    return _binary_marginal_parts(a_slots, logits, pair_scale, sign, nodes, weights)[0]


#: Logits are floored here before exp(-z) (which stays finite in float32); every logit below -CLIP is told apart by
#: its odds exceeding e^CLIP.
LOWEST = -88.0
#: Node shifts |n_q| a sigma_gamma up to which :func:`_odds` factors the odds: exp(-LOWEST - SHIFT_BOUND) still
#: reaches e^CLIP, so a logit floored at LOWEST stays beyond the clip at every node, and e^-(CLIP + SHIFT_BOUND) is
#: a normal float32 (not flushed to 0), so a logit above CLIP + SHIFT_BOUND is the only one whose odds may vanish.
SHIFT_BOUND = 56.0


def _odds(z, sign, shift, nodes: tuple, factored: bool) -> list:
    """exp(-max(z_q, LOWEST)) of every cell at every node (0 where ``sign`` is 0).

    ``z`` = sign a logit (2, M, U), ``shift`` = a pair_scale (2, U); ``sign`` None: every cell observed with
    sign +1 (the observation layer's unsigned logits). ``factored``: exp(-z) once per cell times exp(-+n_q shift)
    per (slot, unit), exact while |n_q shift| <= :data:`SHIFT_BOUND`; otherwise one exponential per cell and node.
    """
    if sign is None:
        if not factored:
            return [jnp.exp(-jnp.maximum(z + node * shift[:, None, :], LOWEST)) for node in nodes]
        odds = jnp.exp(-jnp.maximum(z, LOWEST))
        return [odds * jnp.exp(-node * shift)[:, None, :] for node in nodes]
    observed = jnp.abs(sign)
    if not factored:
        return [observed * jnp.exp(-jnp.maximum(z + node * sign * shift[:, None, :], LOWEST)) for node in nodes]
    odds, up = observed * jnp.exp(-jnp.maximum(z, LOWEST)), sign > 0
    return [odds * jnp.where(up, jnp.exp(-node * shift)[:, None, :], jnp.exp(node * shift)[:, None, :])
            for node in nodes]


def _binary_marginal_parts(a_slots, logits, pair_scale, sign, nodes: tuple, weights: tuple):
    """(value, (d/d a_slots, d/d logits, d/d pair_scale)) of :func:`binary_marginal`."""
    return _by_shift(partial(_binary_marginal_sums, nodes=nodes, weights=weights), nodes,
                     a_slots, logits, pair_scale, sign)


def _by_shift(sums, nodes: tuple, *args):
    """``sums(*args, factored=...)`` with the odds factored (:func:`_odds`) unless a node shift exceeds
    :data:`SHIFT_BOUND`; ``args[0]`` are the slopes and ``args[2]`` the pair scale.

    The branch is a ``lax.cond``; under ``vmap`` (chains run vectorized) one condition for the whole batch keeps it
    a branch, where JAX would compute both and select.
    """
    largest = max(abs(node) for node in nodes)
    if largest == 0.0:
        return sums(*args, factored=False)
    factored, direct = (partial(sums, factored=factored) for factored in (True, False))

    def safe(a_slots, pair_scale):
        return largest * jnp.max(jnp.abs(a_slots * pair_scale)) <= SHIFT_BOUND

    @jax.custom_batching.custom_vmap
    def chosen(*args):
        return jax.lax.cond(safe(args[0], args[2]), factored, direct, *args)

    @chosen.def_vmap
    def _one_branch_per_batch(axis_size, in_batched, *args):
        axes = tuple(0 if batched else None for batched in in_batched)
        every = jnp.all(jax.vmap(safe, in_axes=(axes[0], axes[2]), axis_size=axis_size)(args[0], args[2]))
        out = jax.lax.cond(every, jax.vmap(factored, in_axes=axes, axis_size=axis_size),
                           jax.vmap(direct, in_axes=axes, axis_size=axis_size), *args)
        return out, jax.tree_util.tree_map(lambda _: True, out)

    return chosen(*args)


def _chain_rule(by_z, by_spread, a_slots, logits, pair_scale):
    """Gradients by (a_slots, logits, pair_scale) from those by the cells' logits z = a (logit + n_q pair_scale):
    ``by_z`` (2, M, U) by a shift common to the nodes, ``by_spread`` (2, M, U) by its spacing."""
    by_spread = jnp.sum(by_spread, axis=1)                                            # (2, U)
    by_a = jnp.sum(by_z * logits, axis=1) + pair_scale * by_spread
    return by_a, by_z * a_slots[:, None, :], jnp.sum(a_slots * by_spread, axis=0)


def _binary_marginal_sums(a_slots, logits, pair_scale, sign, *, nodes: tuple, weights: tuple, factored: bool):
    """:func:`_binary_marginal_parts` with the odds factored or not."""
    z, shift = sign * a_slots[:, None, :] * logits, a_slots * pair_scale
    total = grad_0 = grad_1 = spread_0 = spread_1 = 0.0
    for node, weight, odds in zip(nodes, weights, _odds(z, sign, shift, nodes, factored)):
        inside = odds < np.float32(np.exp(CLIP))                   # z > -CLIP
        odds = jnp.minimum(odds, np.float32(np.exp(CLIP)))
        prob = 1.0 / (1.0 + odds)
        slope = jnp.where(inside, odds * prob * prob, 0.0)        # d prob / d z (0 where clipped)
        total = total + weight * prob[0] * prob[1]
        part_0, part_1 = weight * slope[0] * prob[1], weight * prob[0] * slope[1]
        grad_0, grad_1 = grad_0 + part_0, grad_1 + part_1
        spread_0, spread_1 = spread_0 + node * part_0, spread_1 + node * part_1
    inverse = sign / total
    by_z, by_spread = jnp.stack([grad_0, grad_1]) * inverse, jnp.stack([spread_0, spread_1]) * inverse
    return jnp.sum(jnp.log(total)), _chain_rule(by_z, by_spread, a_slots, logits, pair_scale)


def _binary_marginal_forward(a_slots, logits, pair_scale, sign, nodes, weights):
    return _binary_marginal_parts(a_slots, logits, pair_scale, sign, nodes, weights)


def _binary_marginal_backward(nodes, weights, gradients, cotangent):
    by_a, by_logits, by_scale = gradients
    return cotangent * by_a, cotangent * by_logits, cotangent * by_scale, None   # none to the data


binary_marginal.defvjp(_binary_marginal_forward, _binary_marginal_backward)


def layer_quadrature_loglik(a_slots, logits, sigma_gamma, *, weights, num_pairs, num_nodes, gradient="hand"):
    """:func:`quadrature_loglik` of 0/1 answers seen through the observation layer.

    ``weights`` = (K, U, V) in the data layout (models, units, 2) (:func:`~gapeval.gap.observation.cell_weights`):
    each cell contributes K + U sigmoid(eta) + V sigmoid(-eta), a sum of non-negative terms (an
    unobserved cell contributes 1). ``gradient`` (one of :data:`GRADIENTS`): ``hand`` computes the value and
    its gradient by the slopes, logits, sigma_gamma and K, U, V in one pass (:func:`layer_marginal`);
    ``autodiff`` is JAX's derivative of the same sum (the form before, the reference).
    """
    if gradient not in GRADIENTS:
        raise ValueError(f"gradient={gradient!r} is not one of {list(GRADIENTS)}")
    num_units = logits.shape[-1]
    nodes, node_weights = pair_effect_nodes(num_nodes, num_pairs)
    is_pair = np.arange(num_units) < num_pairs
    k, u, v = (jnp.moveaxis(w, -1, 0) for w in weights)                    # (2, M, U) each
    if gradient == "hand":
        return layer_marginal(a_slots, logits, jnp.where(is_pair, sigma_gamma, 0.0), k, u, v,
                              tuple(float(n) for n in nodes), tuple(float(w) for w in node_weights))
    base = a_slots[:, None, :] * logits
    step = jnp.where(is_pair, a_slots * sigma_gamma, 0.0)[:, None, :]
    total = 0.0
    for node, weight in zip(nodes, node_weights):
        eta = jnp.clip(base + node * step, -CLIP, CLIP)
        prob = k + u * jax.nn.sigmoid(eta) + v * jax.nn.sigmoid(-eta)
        total = total + weight * prob[0] * prob[1]
    return jnp.sum(jnp.log(total))


@partial(jax.custom_vjp, nondiff_argnums=(6, 7))
def layer_marginal(a_slots, logits, pair_scale, k, u, v, nodes: tuple, weights: tuple):
    r"""sum over (model, unit) of log sum_q w_q prod_slot (K + U sigmoid(eta_q) + V sigmoid(-eta_q)), by hand.

    ``k``, ``u``, ``v`` are the observation layer's weights (2, models, units) (slot-major), the other arguments
    as :func:`binary_marginal`'s, with eta_q = a (logit + n_q pair_scale) clipped to +-:data:`CLIP`. The value
    and its gradient by the slopes, logits, pair scale and K, U, V come from one pass (a custom VJP), the odds
    t = exp(-eta) factored as in :func:`binary_marginal` (one exponential per cell). With p = 1 / (1 + t),
    sigmoid(-eta) = t p, a cell is P = K + p (U + V t), a sum of non-negative terms: written
    K + V + (U - V) p it would lose a wrong answer's probability V (1 - p) to cancellation in float32
    (K = U = 0 without chance or judges). With T = sum_q w_q P_0q P_1q per (model, unit), K of slot 0 gets
    sum_q w_q P_1q / T, U and V the same sum weighted by p_0q and t_0q p_0q, and the logit the G_0 of
    :func:`binary_marginal` with (U - V) t p^2 in place of dp/dz.
    """
    return _layer_marginal_parts(a_slots, logits, pair_scale, k, u, v, nodes, weights)[0]


def _layer_marginal_parts(a_slots, logits, pair_scale, k, u, v, nodes: tuple, weights: tuple):
    """(value, (d/d a_slots, logits, pair_scale, k, u, v)) of :func:`layer_marginal`."""
    return _by_shift(partial(_layer_marginal_sums, nodes=nodes, weights=weights), nodes,
                     a_slots, logits, pair_scale, k, u, v)


def _layer_marginal_sums(a_slots, logits, pair_scale, k, u, v, *, nodes: tuple, weights: tuple, factored: bool):
    """:func:`_layer_marginal_parts` with the odds factored or not."""
    eta, shift = a_slots[:, None, :] * logits, a_slots * pair_scale
    low, high, rise = np.float32(np.exp(-CLIP)), np.float32(np.exp(CLIP)), u - v
    total = by_k = by_u = by_v = by_z = by_spread = 0.0
    for node, weight, odds in zip(nodes, weights, _odds(eta, None, shift, nodes, factored)):
        inside = (odds > low) & (odds < high)                                    # |eta| < CLIP
        odds = jnp.clip(odds, low, high)
        prob = 1.0 / (1.0 + odds)
        cell = k + prob * (u + v * odds)
        slope = jnp.where(inside, rise * odds * prob * prob, 0.0)               # d cell / d eta
        other = weight * cell[::-1]                                              # w_q P of the other slot
        total = total + weight * cell[0] * cell[1]
        by_k, by_u, by_v = by_k + other, by_u + other * prob, by_v + other * odds * prob
        part = other * slope
        by_z, by_spread = by_z + part, by_spread + node * part
    inverse = 1.0 / total
    by_a, by_logits, by_scale = _chain_rule(by_z * inverse, by_spread * inverse, a_slots, logits, pair_scale)
    return jnp.sum(jnp.log(total)), (by_a, by_logits, by_scale, by_k * inverse, by_u * inverse, by_v * inverse)


def _layer_marginal_forward(a_slots, logits, pair_scale, k, u, v, nodes, weights):
    return _layer_marginal_parts(a_slots, logits, pair_scale, k, u, v, nodes, weights)


def _layer_marginal_backward(nodes, weights, gradients, cotangent):
    return tuple(cotangent * part for part in gradients)


layer_marginal.defvjp(_layer_marginal_forward, _layer_marginal_backward)


def marginal_loglik(data: GapData, *, theta, a, b, sigma_gamma, layer: dict | None = None, num_nodes: int = 15,
                    chunk: int = 100) -> np.ndarray:
    """Log-likelihood of each answered question, pair effect integrated out (Gauss-Hermite).

    The unit of observation is a (model, unit) cell: both forms of a pair together. Parameters are
    draws with a leading draw axis: ``theta`` (S, models, 2), ``a`` and ``b`` (S, items),
    ``sigma_gamma`` (S,) or None (no pairs); ``layer`` the observation layer's draws by site
    (``g`` (S, multiple-choice items), ``sensitivity``/``specificity`` (S, judges)) when the data
    have a layer.

    Returns
    -------
    numpy.ndarray
        (S, n_cells) over the answered (model, unit) cells in row-major order.
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(num_nodes)
    log_w = np.log(weights / weights.sum())
    cells = data.observed.any(axis=2)
    is_pair = np.arange(data.num_units) < data.num_pairs
    const = gammaln(data.points + 1) - gammaln(data.y + 1) - gammaln(data.points - data.y + 1)
    observation = data.observation
    out = []
    for start in range(0, len(theta), chunk):
        th, aa, bb = (np.asarray(v[start:start + chunk], dtype=np.float64) for v in (theta, a, b))
        s = len(th)
        a_grid = np.ones((s, data.num_units, 2))
        b_grid = np.zeros((s, data.num_units, 2))
        a_grid[:, data.item_unit, data.item_slot] = aa
        b_grid[:, data.item_unit, data.item_slot] = bb
        if sigma_gamma is None:
            shift = np.zeros((s, 1, 1))
        else:
            sg = np.asarray(sigma_gamma[start:start + chunk], dtype=np.float64)
            shift = sg[:, None, None] * nodes[None, None, :] * is_pair[None, :, None]   # (S, U, Q)
        eta = a_grid[:, None, :, :, None] * (th[:, :, None, :, None] - b_grid[:, None, :, :, None]
                                             + shift[:, None, :, None, :])          # (S, M, U, 2, Q)
        if observation is None:
            y = data.y[None, ..., None]
            ll = y * log_expit(eta) + (data.points - y) * log_expit(-eta) + const[None, ..., None]
            ll = np.where(data.mask[None, ..., None], ll, 0.0).sum(axis=3)          # (S, M, U, Q)
        else:
            params = _layer_draws(data, layer or {}, slice(start, start + chunk), s)
            k, u, v = (w[..., None] for w in cell_weights(observation, params, y=data.y, mask=data.mask))
            ll = np.log(k + u * expit(eta) + v * expit(-eta)).sum(axis=3)
        ll = logsumexp(ll + log_w, axis=-1)
        out.append(ll[:, cells])
    return np.concatenate(out)


def _layer_draws(data: GapData, layer: dict, rows: slice, size: int) -> dict:
    """The layer's parameters for a chunk of draws, as :func:`cell_weights` takes them."""
    observation = data.observation
    chance = np.broadcast_to(observation.chance, (size,) + observation.chance.shape).copy()
    if "g" in layer:
        mcq = observation.mcq[data.item_unit, data.item_slot]
        chance[:, data.item_unit[mcq], data.item_slot[mcq]] = np.asarray(layer["g"][rows], dtype=np.float64)
    params = {"chance": chance}
    for site in ("sensitivity", "specificity"):
        if site in layer:
            params[site] = np.asarray(layer[site][rows], dtype=np.float64)
    return params
