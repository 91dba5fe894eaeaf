"""Simulate a long responses table in which every model answers every pair under several protocols.

The item parameters and the models' baseline abilities come from
:func:`gapeval.gap.simulate.simulate_gap_responses` (so they follow the identification of the
paired scale); each protocol then shifts every model's (theta_U, theta_G) by its own
(delta_U, delta_G), and each (model, protocol) respondent answers the same items with its own
pair effects and Bernoulli (or binomial) noise. This is the generating process that
:func:`gapeval.protocol_analysis.effects.protocol_effects` assumes, so its intervals should cover the
shifts at their nominal rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError
from gapeval.gap.simulate import simulate_gap_responses
from gapeval.responses import DIRECTIONS

__all__ = ["ProtocolTruth", "simulate_protocol_responses"]

_DEFAULT_PROTOCOLS = {"direct": (0.0, 0.0), "cot": (0.0, 0.5)}


@dataclass(frozen=True, eq=False)
class ProtocolTruth:
    """Generating parameters of a simulated protocol table.

    Attributes
    ----------
    model_ids : tuple
        Model ids (``m00``, ``m01``, ...), the first axis of ``theta``.
    protocols : tuple
        Protocol names, the second axis of ``theta``.
    shifts : dict
        Protocol -> (delta theta_U, delta theta_G) added to every model's abilities.
    theta : numpy.ndarray
        (models, protocols, 2): understanding and generation abilities under each protocol.
    a, b : numpy.ndarray
        Slopes and difficulties, (pairs, 2), column 0 the understanding form (shared by protocols).
    sigma_gamma : float
        Standard deviation of the pair effect (drawn anew for each model and protocol).
    """

    model_ids: tuple
    protocols: tuple
    shifts: dict
    theta: np.ndarray
    a: np.ndarray
    b: np.ndarray
    sigma_gamma: float

    def effect(self, protocol: str, baseline: str) -> pd.DataFrame:
        """True effect of ``protocol`` against ``baseline`` per model.

        Returns
        -------
        pandas.DataFrame
            Columns ``model, theta_understanding, theta_generation, gap`` (differences
            protocol - baseline; the gap difference is delta_U - delta_G).
        """
        for name in (protocol, baseline):
            if name not in self.protocols:
                raise GapevalError(f"protocol {name!r} was not simulated; protocols: {list(self.protocols)}")
        diff = self.theta[:, self.protocols.index(protocol)] - self.theta[:, self.protocols.index(baseline)]
        return pd.DataFrame({"model": list(self.model_ids), "theta_understanding": diff[:, 0],
                             "theta_generation": diff[:, 1], "gap": diff[:, 0] - diff[:, 1]})


def _check_protocols(protocols: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    if not isinstance(protocols, Mapping) or len(protocols) < 1:
        raise GapevalError("protocols must be a non-empty mapping name -> (delta_U, delta_G), "
                           "e.g. {'direct': (0.0, 0.0), 'cot': (0.0, 0.8)}")
    checked = {}
    for name, shift in protocols.items():
        values = np.asarray(shift, dtype=float)
        if values.shape != (2,) or not np.isfinite(values).all():
            raise GapevalError(f"protocol {name!r} has shift {shift!r}; give two finite numbers "
                               "(delta theta_U, delta theta_G)")
        checked[str(name)] = (float(values[0]), float(values[1]))
    return checked


def simulate_protocol_responses(
    num_models: int = 6,
    num_pairs: int = 80,
    *,
    protocols: Mapping[str, tuple[float, float]] = _DEFAULT_PROTOCOLS,
    mean: tuple[float, float] = (0.3, 0.0),
    sd: tuple[float, float] = (1.0, 1.0),
    correlation: float = 0.7,
    sigma_gamma: float = 0.5,
    points: int = 1,
    seed: int = 0,
) -> tuple[pd.DataFrame, ProtocolTruth]:
    """Long table of ``num_models`` models answering both forms of ``num_pairs`` questions under each protocol.

    Parameters
    ----------
    num_models, num_pairs : int
        Cohort size and number of questions (each asked as understanding and generation).
    protocols : mapping of str to (float, float)
        Protocol name -> (delta theta_U, delta theta_G), the shift of every model's abilities under
        that protocol (the baseline usually has (0, 0)).
    mean, sd, correlation : float
        Distribution of the baseline (theta_U, theta_G) over models (as in
        :func:`~gapeval.gap.simulate.simulate_gap_responses`).
    sigma_gamma : float
        Spread of the pair effect, drawn independently for every (model, protocol) respondent.
    points : int
        Evaluation points per answer; scores are k/points (binomial), 1 gives 0/1.
    seed : int
        Seed: the cohort and items come from ``simulate_gap_responses(seed=seed)``, the
        responses from a generator spawned from the same seed.

    Returns
    -------
    (pandas.DataFrame, ProtocolTruth)
        Columns ``model, protocol, step, item, pair, direction, score`` (``step`` is ``"final"``
        on every row, as in the exported runner table); the truth.

    Raises
    ------
    GapevalError
        A protocol's shift is not two finite numbers, or ``protocols`` is empty.

    Examples
    --------
    >>> df, truth = simulate_protocol_responses(2, 3, protocols={"direct": (0, 0), "cot": (0, 1)}, seed=1)
    >>> len(df), sorted(df["protocol"].unique()), truth.theta.shape
    (24, ['cot', 'direct'], (2, 2, 2))
    >>> truth.effect("cot", "direct")["theta_generation"].round(6).tolist()
    [1.0, 1.0]
    """
    shifts = _check_protocols(protocols)
    _, base = simulate_gap_responses(num_models, num_pairs, mean=mean, sd=sd, correlation=correlation,
                                     sigma_gamma=sigma_gamma, points=1, seed=seed)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    names = tuple(shifts)
    theta = base.theta[:, None, :] + np.array([shifts[p] for p in names])[None, :, :]
    gamma = rng.normal(0.0, sigma_gamma, size=(num_models, len(names), num_pairs, 1))
    eta = base.a[None, None] * (theta[:, :, None, :] + gamma - base.b[None, None])
    k = rng.binomial(points, 1.0 / (1.0 + np.exp(-eta)))
    m_idx, p_idx, c_idx, s_idx = np.indices(k.shape).reshape(4, -1)
    frame = pd.DataFrame({
        "model": np.asarray(base.model_ids)[m_idx],
        "protocol": np.asarray(names)[p_idx],
        "step": "final",
        "item": [f"q{c:04d}-{'ug'[s]}" for c, s in zip(c_idx, s_idx)],
        "pair": [f"q{c:04d}" for c in c_idx],
        "direction": np.array(DIRECTIONS)[s_idx],
        "score": k.reshape(-1) / points,
    })
    truth = ProtocolTruth(model_ids=base.model_ids, protocols=names, shifts=shifts, theta=theta, a=base.a,
                          b=base.b, sigma_gamma=sigma_gamma)
    return frame, truth
