r"""Linking: put a new bank version's calibration on an old calibration's scale through their common items.

Two calibrations of overlapping banks are each centred on their own items (``docs/gap_score.md``:
the paired scale's convention), so their abilities, and their gaps, can differ by a shift per
direction and a common stretch. Through the items both calibrated, the **mean/sigma** method
(Marco 1977; Kolen & Brennan 2014, §6.2) finds, draw by draw,

.. math::

    \theta_{\text{old}} = A\,\theta_{\text{new}} + B_d, \qquad
    A = \frac{\operatorname{sd}(b^{\text{old}}_{\text{common}})}{\operatorname{sd}(b^{\text{new}}_{\text{common}})}, \quad
    B_d = \overline{b^{\text{old}}_{\text{common},d}} - A\,\overline{b^{\text{new}}_{\text{common},d}},

with the spreads pooled over both directions after centring each (one stretch for both abilities,
so gaps stay comparable) and a shift B_d per direction d. Every draw of the new calibration is
then transformed (b -> A b + B_d, a -> a / A, sigma_gamma -> A sigma_gamma, mu -> A mu + B,
tau -> A tau); the s-th draw of one calibration is paired with the s-th of the other, so the
linking's own uncertainty is carried into the scores. A gap on the linked calibration reads
θ_U - θ_G on the old scale: gap_old = A gap_new + (B_U - B_G).

References
----------
Kolen, M. J. & Brennan, R. L. (2014). *Test Equating, Scaling, and Linking* (3rd ed.). Springer.
Marco, G. L. (1977). Item characteristic curve solutions to three intractable testing problems.
*Journal of Educational Measurement* 14, 139-160.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gapeval.calibration.record import Calibration, CalibrationError
from gapeval.responses import GENERATION_SLOT, UNDERSTANDING_SLOT

__all__ = ["link_calibration", "MIN_COMMON"]

#: Common items needed in each direction.
MIN_COMMON = 5


def link_calibration(new: Calibration, old: Calibration, *, min_common: int = MIN_COMMON) -> Calibration:
    """``new`` on ``old``'s scale, by mean/sigma linking through the items both calibrated.

    Parameters
    ----------
    new : Calibration
        The new bank version's calibration (its items, its cohort).
    old : Calibration
        The calibration whose scale the gaps should stay on.
    min_common : int
        Common items needed per direction.

    Returns
    -------
    Calibration
        The new bank's items and population, transformed; ``fit["linking"]`` records the method, the
        old calibration's bank hash, the common items and the posterior mean of A, B_U and B_G.

    Raises
    ------
    CalibrationError
        Fewer than ``min_common`` common items in a direction, a common item whose direction differs,
        different scales, or calibrations of partial credit with different ``points``.
    """
    if new.scale != old.scale or new.points != old.points:
        raise CalibrationError(f"cannot link a {new.scale} calibration (points={new.points}) to a {old.scale} one "
                               f"(points={old.points}); recalibrate the new bank with the old one's settings")
    common = [i for i in new.item_ids if i in old.item_code]
    moved = [i for i in common if new.directions[new.item_code[i]] != old.directions[old.item_code[i]]]
    if moved:
        raise CalibrationError(f"items {moved[:5]} have another direction in the two calibrations; the same id must "
                               "be the same item: check the bank versions")
    new_cols = np.array([new.item_code[i] for i in common], dtype=np.int64)
    old_cols = np.array([old.item_code[i] for i in common], dtype=np.int64)
    slot = new.item_slot[new_cols] if len(common) else np.zeros(0, dtype=np.int64)
    counts = np.bincount(slot, minlength=2)
    if (counts < min_common).any():
        raise CalibrationError(f"the two calibrations share {counts[UNDERSTANDING_SLOT]} understanding and "
                               f"{counts[GENERATION_SLOT]} generation items; linking needs at least {min_common} of "
                               "each: keep more items of the old bank in the new version")
    s = min(new.num_draws, old.num_draws)
    b_new, b_old = new.b[:s][:, new_cols], old.b[:s][:, old_cols]
    mean_new = np.stack([b_new[:, slot == d].mean(axis=1) for d in (0, 1)], axis=1)       # (S, 2)
    mean_old = np.stack([b_old[:, slot == d].mean(axis=1) for d in (0, 1)], axis=1)
    spread_new = np.sqrt(((b_new - mean_new[:, slot]) ** 2).mean(axis=1))
    spread_old = np.sqrt(((b_old - mean_old[:, slot]) ** 2).mean(axis=1))
    stretch = spread_old / spread_new                                                       # (S,)
    shift = mean_old - stretch[:, None] * mean_new                                          # (S, 2)
    item_shift = shift[:, new.item_slot]                                                    # (S, items)
    linking = {"method": "mean/sigma", "old_bank_hash": old.bank_hash, "common_items": len(common),
               "common_understanding": int(counts[UNDERSTANDING_SLOT]), "common_generation": int(counts[GENERATION_SLOT]),
               "A": float(stretch.mean()), "B_understanding": float(shift[:, UNDERSTANDING_SLOT].mean()),
               "B_generation": float(shift[:, GENERATION_SLOT].mean())}
    return dataclasses.replace(
        new, a=new.a[:s] / stretch[:, None], b=stretch[:, None] * new.b[:s] + item_shift,
        sigma_gamma=stretch * new.sigma_gamma[:s], mu=stretch[:, None] * new.mu[:s] + shift,
        tau=stretch[:, None] * new.tau[:s], rho=new.rho[:s],
        chance_draws=None if new.chance_draws is None else new.chance_draws[:s],
        sensitivity=new.sensitivity[:s], specificity=new.specificity[:s], fit={**new.fit, "linking": linking})
