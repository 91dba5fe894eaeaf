"""Linking a new bank version's calibration to an old one through common items (mean/sigma)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gapeval.calibration import CalibrationError, score_with_calibration
from gapeval.calibration.linking import link_calibration
from gapeval.gap.simulate import simulate_gap_responses


def _subset(cal, items):
    cols = np.array([cal.item_code[i] for i in items])
    return dataclasses.replace(cal, item_ids=tuple(items), directions=tuple(cal.directions[c] for c in cols),
                               pairs=tuple(cal.pairs[c] for c in cols), chance=cal.chance[cols],
                               item_judges=tuple(cal.item_judges[c] for c in cols), a=cal.a[:, cols], b=cal.b[:, cols])


def test_a_known_change_of_scale_is_undone_and_gaps_return_to_the_old_scale(truth_calibration):
    df, truth = simulate_gap_responses(3, 60, seed=9)
    full = truth_calibration(truth, num_draws=20)
    old = _subset(full, full.item_ids[:80])                       # pairs 0-39
    stretch, shift = 1.3, np.array([0.5, -0.2])                   # the new calibration's own scale
    moved = dataclasses.replace(full, a=full.a * stretch, b=(full.b - shift[full.item_slot]) / stretch,
                                sigma_gamma=full.sigma_gamma / stretch, mu=(full.mu - shift) / stretch,
                                tau=full.tau / stretch)
    new = _subset(moved, moved.item_ids[40:])                     # pairs 20-59: 20 pairs in common
    linked = link_calibration(new, old)
    np.testing.assert_allclose(linked.b, full.b[:, 40:], atol=1e-9)
    np.testing.assert_allclose(linked.a, full.a[:, 40:], rtol=1e-9)
    np.testing.assert_allclose(linked.mu, full.mu, atol=1e-9)
    assert linked.fit["linking"]["common_items"] == 40 and linked.fit["linking"]["A"] == pytest.approx(stretch)
    answers = df[df["item"].isin(new.item_ids)]
    on_old_scale = score_with_calibration(answers, _subset(full, full.item_ids[40:]))
    np.testing.assert_allclose(score_with_calibration(answers, linked)["gap"], on_old_scale["gap"], atol=0.02)
    unlinked = score_with_calibration(answers, new)["gap"]
    assert np.abs(unlinked - on_old_scale["gap"]).min() > 0.3   # the new scale alone reads other gaps


def test_too_few_common_items_are_refused(truth_calibration):
    _, truth = simulate_gap_responses(1, 30, seed=9)
    full = truth_calibration(truth, num_draws=5)
    with pytest.raises(CalibrationError, match="share 2 understanding and 2 generation items; linking needs at least 5"):
        link_calibration(_subset(full, full.item_ids[:24]), _subset(full, full.item_ids[20:]))
