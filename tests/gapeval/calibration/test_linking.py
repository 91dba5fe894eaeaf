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


@pytest.mark.slow
def test_two_cohorts_two_bank_versions_one_scale_after_linking():
    import warnings

    from gapeval.calibration import calibrate

    df, truth = simulate_gap_responses(24, 80, sigma_epsilon=1.0, seed=12)
    order = np.argsort(truth.b[:, 1] - truth.b[:, 0])            # pairs by how much harder their generation form is
    pair = [f"q{c:04d}" for c in range(80)]
    old_bank = {pair[c] for c in order[:60]}                     # the old version kept the easier generation forms,
    new_bank = {pair[c] for c in order[20:]}                     # the new one the harder: 40 pairs in common
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = calibrate(df[(df["model"] < "m10") & df["pair"].isin(old_bank)], inference="svi", num_draws=100)
        new = calibrate(df[df["model"].between("m10", "m19") & df["pair"].isin(new_bank)], inference="svi",
                        num_draws=100)
    linked = link_calibration(new, old)
    assert linked.fit["linking"]["common_items"] == 80
    fresh = df[df["model"] >= "m20"]
    on_old = score_with_calibration(fresh[fresh["pair"].isin(old_bank)], old)["gap"]
    unlinked = score_with_calibration(fresh[fresh["pair"].isin(new_bank)], new)["gap"]
    on_linked = score_with_calibration(fresh[fresh["pair"].isin(new_bank)], linked)["gap"]
    offset, left = (unlinked - on_old).mean(), (on_linked - on_old).mean()
    assert abs(offset) > 1.0                                      # each version centred on its own items
    # Linking removes most of it (1.58 -> 0.49 logits when written); the rest is the shrinkage of the within-pair
    # difficulty differences that two 10-model calibrations leave (their difficulties have slope 0.56-0.69 on the truth).
    assert abs(left) < 0.4 * abs(offset)
