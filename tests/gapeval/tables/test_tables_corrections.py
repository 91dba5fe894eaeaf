"""Holm and Benjamini–Hochberg adjustments against hand-computed values and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from gapeval.tables import adjust, benjamini_hochberg, holm

P = [0.01, 0.04, 0.03, 0.005]


def test_holm_by_hand():
    # sorted: .005*4=.02, .01*3=.03, .03*2=.06, .04*1=.04 -> running max .02 .03 .06 .06
    np.testing.assert_allclose(holm(P), [0.03, 0.06, 0.06, 0.02])


def test_bh_by_hand():
    # sorted: .005*4/1=.02, .01*4/2=.02, .03*4/3=.04, .04*4/4=.04 -> running min from the top
    np.testing.assert_allclose(benjamini_hochberg(P), [0.02, 0.04, 0.04, 0.02])


def test_caps_at_one_and_keeps_order():
    np.testing.assert_allclose(holm([0.9, 0.6]), [1.0, 1.0])
    np.testing.assert_allclose(benjamini_hochberg([0.9, 0.6]), [0.9, 0.9])


@pytest.mark.parametrize("method,sm", [("holm", "holm"), ("bh", "fdr_bh")])
def test_agrees_with_statsmodels(method, sm):
    rng = np.random.default_rng(11)
    p = np.concatenate([rng.uniform(0, 0.05, 7), rng.uniform(0, 1, 13), [0.02, 0.02]])  # with ties
    np.testing.assert_allclose(adjust(p, method), multipletests(p, method=sm)[1], rtol=1e-12)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match=r"p-values must lie in \[0, 1\]; got \[1.5\] at positions \[1\]"):
        holm([0.1, 1.5])
    with pytest.raises(ValueError, match=r"correction='bonferroni' is not one of \['holm', 'bh'\]"):
        adjust([0.1], "bonferroni")
