"""A calibration built from a simulation's true item parameters (with small posterior-like jitter), for fast tests."""

from __future__ import annotations

import numpy as np
import pytest

from gapeval.calibration.record import Calibration


def calibration_from_truth(truth, *, num_draws: int = 50, jitter: float = 0.05, seed: int = 0,
                           judges: dict | None = None, chance: float = 0.0) -> Calibration:
    """Items ``qNNNN-u``/``qNNNN-g`` of :func:`simulate_gap_responses` with draws scattered around the truth.

    ``judges`` maps a judge id to its (sensitivity, specificity); generation items are then that judge's.
    """
    rng = np.random.default_rng(seed)
    num_pairs = truth.a.shape[0]
    items = [f"q{c:04d}-{s}" for c in range(num_pairs) for s in "ug"]
    n = len(items)
    directions = tuple("understanding" if i.endswith("-u") else "generation" for i in items)
    judge_ids = tuple(judges or ())
    rates = np.array([judges[j] for j in judge_ids]).reshape(-1, 2)
    item_judges = tuple(judge_ids[0] if judge_ids and d == "generation" else None for d in directions)
    chance_levels = np.array([chance if d == "understanding" else 0.0 for d in directions])
    return Calibration(
        item_ids=tuple(items), directions=directions, pairs=tuple(i[:5] for i in items), chance=chance_levels,
        item_judges=item_judges, judge_ids=judge_ids,
        a=truth.a.reshape(-1) * np.exp(rng.normal(0.0, jitter, (num_draws, n))),
        b=truth.b.reshape(-1) + rng.normal(0.0, 2 * jitter, (num_draws, n)),
        sigma_gamma=np.full(num_draws, truth.sigma_gamma), mu=np.tile([0.3, 0.0], (num_draws, 1)),
        tau=np.ones((num_draws, 2)), rho=np.full(num_draws, 0.7), chance_draws=None,
        sensitivity=np.tile(rates[:, 0], (num_draws, 1)), specificity=np.tile(rates[:, 1], (num_draws, 1)),
        bank_hash="sha256:test", cohort=("c0", "c1"), gapeval_version="test")


@pytest.fixture(name="truth_calibration", scope="session")
def _truth_calibration():
    return calibration_from_truth
