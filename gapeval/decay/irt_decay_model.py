r"""The explanatory IRT decay model (``docs/methods.md`` §3) and the data layout it runs on.

The Gap Score's between-item two-dimensional 2PL (:mod:`gapeval.gap.model`) with a per-model,
per-direction turn slope :math:`\lambda_{m,d}`:

.. math::

    \text{logit}\,P(y = 1) = a_i\,\bigl(\theta_{m,d(i)} + \lambda_{m,d(i)}\,(t - 1) + e_{m,s} + c_s - b_i
    - \kappa_{d(i)}\,\bar x_i\bigr),

where :math:`t` is the 1-based turn of the answer (answers outside a dialogue — standalone items —
enter with :math:`t = 1`, so their :math:`\lambda` term is zero and they anchor :math:`\theta` and
:math:`b`), :math:`e_{m,s}` is the random intercept of model m's run of dialogue s and, in the crossed
structure (the same dialogues given to several models, :mod:`gapeval.decay.structure`), :math:`c_s` is
dialogue s's intercept shared by every model — the ``(1 | session)`` term of :func:`gapeval.decay.decay`;
the items are crossed with the models through their parameters :math:`a_i, b_i` already. Because each
item's difficulty :math:`b_i` is shared by every answer to it, :math:`\lambda` measures decay with
item difficulty held fixed: a model that answers harder items at later turns is not penalised for it.
Partial credit is a binomial on ``k`` of ``K`` evaluation points (``points=K``) with the same logit.

Priors and identification (the ``paired`` scale of the Gap Score):

* abilities :math:`\theta_m \sim MVN(\mu, \operatorname{diag}(\tau)\,\Omega\,\operatorname{diag}(\tau))`,
  :math:`\mu \sim N(0, 3)`, :math:`\tau \sim \text{HalfNormal}(2)`, :math:`\Omega \sim \text{LKJ}(2)`
  (:func:`gapeval.gap.model.sample_abilities`);
* items: :math:`\log a_i \sim N(0, \sigma_{\log a})`, difficulties hierarchical with the two forms of a
  pair correlated, :math:`\sum_i \log a_i = 0` (geometric-mean slope 1) and the difficulties centred
  within each direction (:func:`gapeval.gap.model.sample_item_parameters`); so :math:`\lambda` is in logits
  per turn for an item of average slope;
* position: the difficulty entering the likelihood is :math:`b_i + \kappa_{d(i)}\,\bar x_i` (site ``b``
  holds :math:`b_i`, the item's difficulty net of its position), where
  :math:`\bar x_i` is the mean :math:`t - 1` of item i's answers (centred within each direction) and
  :math:`\kappa_d \sim N(0, 1)`. This is Mundlak's device: without it the hierarchical prior shrinks
  the difficulties of the (harder) late-turn items towards the common mean, and the shrinkage leaks
  into :math:`\lambda` as spurious decay; with it :math:`\lambda` is learned from the within-item
  contrast of an item answered at different turns (e.g. standalone and in a dialogue);
* decay :math:`\lambda_{m,d} \sim N(\nu_d, \sigma_{\lambda,d})`, :math:`\nu_d \sim N(0, 1)`,
  :math:`\sigma_{\lambda,d} \sim \text{HalfNormal}(0.5)` — partial pooling of the models' slopes
  towards the cohort's mean decay :math:`\nu_d` in each direction;
* dialogue runs :math:`e_{m,s} \sim N(0, \sigma_{\text{session}})`,
  :math:`\sigma_{\text{session}} \sim \text{HalfNormal}(1)`; shared dialogues (crossed structure only)
  :math:`c_s \sim N(0, \sigma_{\text{dialogue}})`, :math:`\sigma_{\text{dialogue}} \sim \text{HalfNormal}(1)`.

The mean decay :math:`\nu_d` is identified only when some items are answered at more than one turn
(e.g. standalone and inside a dialogue, or at different turns of different dialogues); otherwise it
is confounded with the difficulties of the items at each turn, and only the models' differences in
decay are learned from the data (:func:`turn_spread` measures this).

References
----------
Mundlak, Y. (1978). On the pooling of time series and cross section data. *Econometrica* 46, 69-85.

De Boeck, P. & Wilson, M. (eds.) (2004). *Explanatory Item Response Models*. Springer.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.handlers import reparam
from numpyro.infer.reparam import LocScaleReparam

from gapeval.decay.structure import Structure
from gapeval.gap.model import ITEM_SITES, sample_abilities, sample_item_parameters

__all__ = ["IRTDecayData", "irt_decay_model", "item_position", "reparameterised_irt_decay_model", "turn_spread"]

#: Sites non-centred: the item slopes, the dialogue-run and dialogue intercepts and the decay slopes.
NONCENTRED_SITES: tuple[str, ...] = (*ITEM_SITES, "session_effect", "dialogue_effect", "lambda")


@dataclass(frozen=True, eq=False)
class IRTDecayData:
    """Answers in the long layout of :func:`irt_decay_model` (one entry per answer).

    Attributes
    ----------
    model_ids, item_ids : tuple
        Model and item ids in code order (sorted).
    session_ids : tuple
        ``(model, session)`` keys of the dialogue runs in code order.
    dialogue_ids : tuple
        Dialogue (session) ids shared by the models, in code order; empty in the nested structure.
    model_idx, item_idx, session_idx, dialogue_idx : numpy.ndarray
        Codes per answer; ``session_idx`` and ``dialogue_idx`` are -1 for standalone answers (and
        ``dialogue_idx`` everywhere in the nested structure).
    item_slot : numpy.ndarray
        Direction of each item (0 understanding, 1 generation).
    partner : numpy.ndarray
        For the generation form of a pair, the code of its understanding form; -1 otherwise.
    x : numpy.ndarray
        ``turn − 1`` per answer (0 for standalone answers).
    standalone : numpy.ndarray
        True for answers outside a dialogue.
    y : numpy.ndarray
        Successes per answer, int32 (k of ``points``).
    points : int
        Evaluation points per answer (1 = binary).
    structure : gapeval.decay.structure.Structure or None
        The random-effect structure and why it was chosen (None without a session column).
    """

    model_ids: tuple
    item_ids: tuple
    session_ids: tuple
    model_idx: np.ndarray
    item_idx: np.ndarray
    session_idx: np.ndarray
    item_slot: np.ndarray
    partner: np.ndarray
    x: np.ndarray
    standalone: np.ndarray
    y: np.ndarray
    points: int
    dialogue_ids: tuple = ()
    dialogue_idx: np.ndarray | None = None
    structure: Structure | None = None

    @property
    def num_models(self) -> int:
        return len(self.model_ids)

    @property
    def num_sessions(self) -> int:
        return len(self.session_ids)

    @property
    def num_dialogues(self) -> int:
        return len(self.dialogue_ids)

    def static(self) -> dict:
        """Keyword arguments of :func:`irt_decay_model` for this data (observations excluded)."""
        dialogue_idx = self.dialogue_idx if self.dialogue_idx is not None else np.full(len(self.y), -1)
        return dict(model_idx=self.model_idx, item_idx=self.item_idx, session_idx=self.session_idx,
                    item_slot=self.item_slot, partner=self.partner, x=self.x, num_models=self.num_models,
                    num_sessions=self.num_sessions, points=self.points, dialogue_idx=dialogue_idx,
                    num_dialogues=self.num_dialogues)


def turn_spread(item_idx: np.ndarray, x: np.ndarray) -> int:
    """Number of items answered at two or more distinct turns (standalone counting as turn 1)."""
    pairs = np.unique(np.column_stack([item_idx, x]), axis=0)
    _, counts = np.unique(pairs[:, 0], return_counts=True)
    return int((counts > 1).sum())


def item_position(item_idx: np.ndarray, x: np.ndarray, item_slot: np.ndarray) -> np.ndarray:
    """Mean ``turn − 1`` of each item's answers, centred within each direction (the Mundlak term)."""
    total = np.bincount(item_idx, weights=x, minlength=len(item_slot))
    count = np.bincount(item_idx, minlength=len(item_slot))
    mean = total / np.maximum(count, 1)
    for slot in (0, 1):
        sel = item_slot == slot
        if sel.any():
            mean[sel] -= mean[sel].mean()
    return mean


def irt_decay_model(*, model_idx, item_idx, session_idx, item_slot, partner, x, num_models, num_sessions,
                    points, dialogue_idx=None, num_dialogues=0, observe=True, y=None):
    r"""The explanatory IRT decay model (see the module docstring for the likelihood and priors).

    Parameters
    ----------
    model_idx, item_idx, session_idx : numpy.ndarray
        Codes per answer (static); ``session_idx`` -1 for standalone answers.
    dialogue_idx : numpy.ndarray, optional
        Shared dialogue code per answer (crossed structure), -1 for standalone answers.
    item_slot, partner : numpy.ndarray
        Direction (0 understanding, 1 generation) and pair partner (-1 for none) of each item.
    x : numpy.ndarray
        ``turn − 1`` per answer (0 for standalone answers).
    num_models, num_sessions, num_dialogues : int
        Sizes (``num_dialogues`` 0: no shared dialogue intercept, the nested structure).
    points : int
        Evaluation points per answer (binomial total count; 1 = Bernoulli).
    observe : bool
        False stops after the parameters (used to turn draws into reported quantities).
    y : array, optional
        Successes per answer; ``None`` simulates.
    """
    theta = numpyro.deterministic("theta", sample_abilities(num_models, scale="paired", unidimensional=False))
    a, b = sample_item_parameters(np.asarray(item_slot), np.asarray(partner), scale="paired")
    with numpyro.plate("direction_position", 2):
        kappa = numpyro.sample("kappa", dist.Normal(0.0, 1.0))
    position = item_position(np.asarray(item_idx), np.asarray(x), np.asarray(item_slot))
    difficulty = b + kappa[np.asarray(item_slot)] * position
    with numpyro.plate("direction", 2):
        nu = numpyro.sample("nu", dist.Normal(0.0, 1.0))
        sigma_lambda = numpyro.sample("sigma_lambda", dist.HalfNormal(0.5))
    with numpyro.plate("model_lambda", num_models, dim=-2), numpyro.plate("direction_lambda", 2, dim=-1):
        lam = numpyro.sample("lambda", dist.Normal(nu, sigma_lambda))
    slot = np.asarray(item_slot)[np.asarray(item_idx)]
    location = theta[model_idx, slot] + lam[model_idx, slot] * jnp.asarray(x) - difficulty[item_idx]
    if num_sessions:
        location = location + _random_intercepts("session", num_sessions, session_idx)
    if num_dialogues:
        location = location + _random_intercepts("dialogue", num_dialogues, dialogue_idx)
    if not observe:
        return None
    eta = a[item_idx] * location
    if y is not None:
        k = jnp.asarray(y)
        numpyro.factor("y", jnp.sum(k * jax.nn.log_sigmoid(eta) + (points - k) * jax.nn.log_sigmoid(-eta)))
        return None
    like = dist.Bernoulli(logits=eta) if points == 1 else dist.Binomial(total_count=points, logits=eta)
    with numpyro.plate("answer", len(model_idx)):
        return numpyro.sample("y", like)


def _random_intercepts(name: str, num_levels: int, idx) -> jnp.ndarray:
    """Sites ``sigma_<name>`` ~ HalfNormal(1) and ``<name>_effect`` ~ N(0, sigma) per level; the effect of each
    answer (0 where ``idx`` is -1)."""
    sigma = numpyro.sample(f"sigma_{name}", dist.HalfNormal(1.0))
    with numpyro.plate(name, num_levels):
        effect = numpyro.sample(f"{name}_effect", dist.Normal(0.0, sigma))
    idx = np.asarray(idx)
    return jnp.where(idx >= 0, effect[np.maximum(idx, 0)], 0.0)


def reparameterised_irt_decay_model(data: IRTDecayData):
    """:func:`irt_decay_model` bound to ``data``'s layout, with the hierarchical sites non-centred.

    Item slopes, session effects and decay slopes are non-centred (few answers each, or few models:
    the centred decay slopes gave 57 divergent transitions on 6 models); the abilities stay centred
    (each model gives many answers). The returned function takes ``y`` and ``observe``.
    """
    model = reparam(irt_decay_model, config={site: LocScaleReparam(centered=0.0) for site in NONCENTRED_SITES})
    static = data.static()

    def bound(y=None, observe=True):
        return model(**static, y=y, observe=observe)

    return bound
