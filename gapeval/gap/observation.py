r"""The observation layer under the Gap Score's IRT model: guessing and judge error.

The IRT model gives the probability :math:`p = \sigma(\eta)` that a model *knows* the answer (is
latently right). What the table records can differ from that:

* **chance** (multiple choice): a model that does not know may guess right, with probability
  :math:`c` (1 / number of options), so :math:`P(\text{right}) = c + (1 - c)\,p` (a 3PL with a known
  lower asymptote); with ``guessing="estimate"`` each multiple-choice item's :math:`g_i` is sampled
  from :math:`\text{Beta}(\kappa c_i, \kappa (1 - c_i))`, centred on its chance level
  (:data:`irt.models.CHANCE_CONCENTRATION` = :math:`\kappa`);
* **judge error**: a judge labels a right answer right with its *sensitivity* :math:`s_j` and a wrong
  one wrong with its *specificity* :math:`t_j`; several judges' labels of one answer are independent
  given the truth (Dawid & Skene 1979). The judges' :math:`s_j, t_j` are sampled jointly with
  everything else, from :math:`\text{Beta}(\alpha + TP_j, \beta + FN_j)` and
  :math:`\text{Beta}(\alpha + TN_j, \beta + FP_j)`: the prior (:data:`JUDGE_PRIOR`) updated by a
  calibration table of human labels beside the judge's (:func:`calibration_counts`), so the
  judge's uncertainty widens the gap's interval.

For one answer, with :math:`L_1` the probability of everything recorded about it if the answer is
right (a direct 0/1 score contributes :math:`y`, each judge label :math:`s_j` or :math:`1 - s_j`) and
:math:`L_0` if it is wrong (:math:`1 - y`, :math:`1 - t_j` or :math:`t_j`),

.. math::

    P(\text{record}) = L_0\,(1 - q) + L_1\,q, \qquad q = c + (1 - c)\,\sigma(\eta),

written as :math:`K + U\,\sigma(\eta) + V\,\sigma(-\eta)` with :math:`K = c L_1`,
:math:`U = (1 - c) L_1`, :math:`V = (1 - c) L_0` (:func:`cell_weights`): every term is
non-negative, so the sum keeps its precision where :math:`\sigma(\eta)` is near 0 or 1. A single
judge label is the issue's :math:`c' + (1 - c' - s')\,\sigma(\eta)` with :math:`c' = 1 - t_j` and
:math:`s' = 1 - s_j`.

References
----------
Dawid, A. P. & Skene, A. M. (1979). Maximum likelihood estimation of observer error-rates using the
EM algorithm. *Applied Statistics* 28, 20-28.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError

__all__ = ["Observation", "GUESSING", "JUDGE_PRIOR", "CALIBRATION_COLUMNS",
           "calibration_counts", "build_observation", "sample_observation", "cell_weights"]

#: How chance levels enter: ``fixed`` at the given level, ``estimate`` (a Beta prior centred on it),
#: ``none`` (ignored: every right answer is taken as known).
GUESSING: tuple[str, ...] = ("fixed", "estimate", "none")
#: Beta(alpha, beta) prior of every judge's sensitivity and specificity before calibration: mean 0.85,
#: worth 10 labels (a judge better than chance, no more assumed).
JUDGE_PRIOR: tuple[float, float] = (8.5, 1.5)
#: Columns of a judge calibration table: one row per (judge, answer) with the judge's and a person's 0/1 label.
CALIBRATION_COLUMNS: tuple[str, ...] = ("judge", "judge_label", "human_label")


@dataclass(frozen=True, eq=False)
class Observation:
    """How the answers of a :class:`~gapeval.gap.model.GapData` were observed.

    Attributes
    ----------
    chance : numpy.ndarray
        (units, 2) chance level of each form (0: a free answer, or ``guessing="none"``).
    guessing : str
        ``fixed`` or ``estimate`` (see :data:`GUESSING`).
    judge_ids : tuple
        Judges in code order.
    positive, negative : numpy.ndarray
        (judges, models, units, 2): judge j's labels "right" / "wrong" of the answer in that cell (0 or 1).
    calibration : numpy.ndarray
        (judges, 4): true positives, false negatives, true negatives, false positives against human labels.
    prior : tuple of float
        Beta prior (alpha, beta) of sensitivities and specificities.
    """

    chance: np.ndarray
    guessing: str
    judge_ids: tuple
    positive: np.ndarray
    negative: np.ndarray
    calibration: np.ndarray
    prior: tuple[float, float] = JUDGE_PRIOR

    @property
    def num_judges(self) -> int:
        return len(self.judge_ids)

    @property
    def judged(self) -> np.ndarray:
        """Cells with at least one judge label, bool (models, units, 2)."""
        return (self.positive + self.negative).sum(axis=0) > 0

    @property
    def mcq(self) -> np.ndarray:
        """Forms with a chance level, bool (units, 2)."""
        return self.chance > 0

    def swapped(self) -> Observation:
        """The same observation with the direction slots exchanged."""
        return Observation(self.chance[:, ::-1].copy(), self.guessing, self.judge_ids,
                           self.positive[..., ::-1].copy(), self.negative[..., ::-1].copy(), self.calibration,
                           self.prior)

    def describe(self) -> dict:
        """What the layer holds, for the table's ``attrs``."""
        return {"guessing": self.guessing, "multiple_choice_forms": int(self.mcq.sum()),
                "judges": list(self.judge_ids), "judge_labels": int((self.positive + self.negative).sum()),
                "calibration": {str(j): dict(zip(("true_positive", "false_negative", "true_negative",
                                                  "false_positive"), map(int, row)))
                                for j, row in zip(self.judge_ids, self.calibration)},
                "judge_prior": list(self.prior)}


def calibration_counts(calibration: pd.DataFrame | None, judge_ids, *, judge: Hashable = "judge",
                       judge_label: Hashable = "judge_label", human_label: Hashable = "human_label") -> np.ndarray:
    """True/false positives and negatives of each judge against human labels, (judges, 4).

    Rows of judges not in ``judge_ids`` are ignored; a judge without rows gets zeros (its prior alone).

    Raises
    ------
    GapevalError
        A missing column, or labels that are not 0/1.

    Examples
    --------
    >>> cal = pd.DataFrame({"judge": ["j"] * 4, "judge_label": [1, 0, 1, 0], "human_label": [1, 1, 0, 0]})
    >>> calibration_counts(cal, ("j",)).tolist()
    [[1, 1, 1, 1]]
    """
    counts = np.zeros((len(judge_ids), 4), dtype=np.int64)
    if calibration is None:
        return counts
    if not isinstance(calibration, pd.DataFrame):
        raise GapevalError("judges must be a pandas DataFrame (the calibration table), got "
                           f"{type(calibration).__name__}")
    for role, column in (("judge", judge), ("judge_label", judge_label), ("human_label", human_label)):
        if column not in calibration.columns:
            raise GapevalError(f"column {column!r} (the {role} column) is not in the judge calibration table; it has "
                               f"columns {list(calibration.columns)}; it needs one row per judged answer with "
                               f"{list(CALIBRATION_COLUMNS)}")
    labels = calibration[[judge_label, human_label]].apply(pd.to_numeric, errors="coerce")
    bad = ~labels.isin([0, 1]).all(axis=1)
    if bad.any():
        raise GapevalError(f"the judge calibration table has labels that are not 0/1 in rows "
                           f"{calibration.index[bad][:5].tolist()}; map them to 0/1 or drop those rows")
    code = pd.Index(list(judge_ids)).get_indexer(calibration[judge])
    keep = code >= 0
    jl, hl = labels[judge_label].to_numpy()[keep], labels[human_label].to_numpy()[keep]
    for k, (h, j) in enumerate(((1, 1), (1, 0), (0, 0), (0, 1))):
        np.add.at(counts[:, k], code[keep][(hl == h) & (jl == j)], 1)
    return counts


def build_observation(frame: pd.DataFrame, *, model_code, unit, slot, num_models: int, num_units: int,
                      guessing: str, calibration: pd.DataFrame | None, prior=JUDGE_PRIOR) -> Observation | None:
    """The observation layer of a standardized table, or None when it has nothing to add.

    ``frame`` holds the rows with optional ``chance`` and ``judge`` columns; ``model_code``,
    ``unit`` and ``slot`` give each row's cell.
    """
    chance = np.zeros((num_units, 2))
    if "chance" in frame.columns and guessing != "none":
        chance[unit, slot] = frame["chance"].to_numpy(dtype=float)
    judged = frame["judge"].notna().to_numpy() if "judge" in frame.columns else np.zeros(len(frame), dtype=bool)
    judge_ids = tuple(sorted(pd.unique(frame.loc[judged, "judge"]).tolist(), key=str)) if judged.any() else ()
    if not (chance > 0).any() and not judge_ids:
        if calibration is not None:
            raise GapevalError("judges= gives a calibration table, but no answer in the responses table carries a "
                               "judge id: add a judge column (one row per judge label) and pass judge='<column>'")
        return None
    shape = (len(judge_ids), num_models, num_units, 2)
    positive, negative = np.zeros(shape, dtype=np.float32), np.zeros(shape, dtype=np.float32)
    if judge_ids:
        code = pd.Index(list(judge_ids)).get_indexer(frame.loc[judged, "judge"])
        label = frame.loc[judged, "score"].to_numpy(dtype=float)
        where = (code, model_code[judged], unit[judged], slot[judged])
        positive[where], negative[where] = label, 1.0 - label
    return Observation(chance=chance, guessing=guessing, judge_ids=judge_ids, positive=positive, negative=negative,
                       calibration=calibration_counts(calibration, judge_ids), prior=tuple(map(float, prior)))


def sample_observation(observation: Observation | None, item_unit: np.ndarray, item_slot: np.ndarray) -> dict:
    """Sample the layer's parameters (sites ``g``, ``sensitivity``, ``specificity``); {} without a layer."""
    import numpyro
    import numpyro.distributions as dist

    from irt.models import CHANCE_CONCENTRATION

    if observation is None:
        return {}
    out = {"chance": observation.chance}
    mcq = observation.mcq[item_unit, item_slot]
    if observation.guessing == "estimate" and mcq.any():
        c0 = observation.chance[item_unit[mcq], item_slot[mcq]]
        with numpyro.plate("multiple_choice_item", int(mcq.sum())):
            g = numpyro.sample("g", dist.Beta(CHANCE_CONCENTRATION * c0, CHANCE_CONCENTRATION * (1.0 - c0)))
        out["chance"] = _chance_grid(observation.chance, item_unit[mcq], item_slot[mcq], g)
    if observation.num_judges:
        alpha, beta = observation.prior
        tp, fn, tn, fp = (observation.calibration[:, k] for k in range(4))
        with numpyro.plate("judge", observation.num_judges):
            out["sensitivity"] = numpyro.sample("sensitivity", dist.Beta(alpha + tp, beta + fn))
            out["specificity"] = numpyro.sample("specificity", dist.Beta(alpha + tn, beta + fp))
    return out


def _chance_grid(fixed: np.ndarray, units: np.ndarray, slots: np.ndarray, g):
    import jax.numpy as jnp

    return jnp.asarray(fixed).at[units, slots].set(g)


def cell_weights(observation: Observation, params: dict, *, y, mask, xp=np):
    """(K, U, V) of every cell, each (..., models, units, 2): P(record) = K + U sigma(eta) + V sigma(-eta).

    ``params`` are the layer's values (:func:`sample_observation`, or draws with leading axes:
    ``chance`` (..., units, 2), ``sensitivity`` and ``specificity`` (..., judges)); ``y`` and ``mask``
    the direct 0/1 scores and their cells. ``xp`` is ``numpy`` or ``jax.numpy``.
    """
    y = xp.asarray(y, dtype=float)
    l1 = xp.where(mask, y, 1.0)
    l0 = xp.where(mask, 1.0 - y, 1.0)
    if observation.num_judges:
        sens = xp.clip(params["sensitivity"], 1e-6, 1.0 - 1e-6)             # (..., J)
        spec = xp.clip(params["specificity"], 1e-6, 1.0 - 1e-6)

        def total(log_pos, log_neg):                                          # sum over judges -> (..., M, U, 2)
            return (xp.tensordot(log_pos, observation.positive, axes=([-1], [0]))
                    + xp.tensordot(log_neg, observation.negative, axes=([-1], [0])))

        l1 = l1 * xp.exp(total(xp.log(sens), xp.log1p(-sens)))
        l0 = l0 * xp.exp(total(xp.log1p(-spec), xp.log(spec)))
    chance = xp.asarray(params.get("chance", observation.chance))
    c = chance[..., None, :, :]                                               # (..., 1, U, 2)
    return c * l1, (1.0 - c) * l1, (1.0 - c) * l0
