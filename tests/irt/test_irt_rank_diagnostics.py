"""``irt.arviz_bridge.rank_diagnostics``: ArviZ 0.23's R-hat, bulk and tail ESS, all scalars at once.

ArviZ itself (``arviz_convergence_table``, ``arviz.rhat``, ``arviz.ess``) is the reference: every
statistic must agree with it to 1e-8 relative, NaN where it gives NaN.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from irt.arviz_bridge import STATISTICS, _arviz, arviz_convergence_table, convergence_table, rank_diagnostics


def _ar1(rng, shape, phi):
    """AR(1) draws along axis 1 of ``shape`` (chain, draw, scalar) with coefficient ``phi``."""
    noise = rng.normal(size=shape)
    draws = np.empty(shape)
    draws[:, 0] = noise[:, 0]
    for t in range(1, shape[1]):
        draws[:, t] = phi * draws[:, t - 1] + noise[:, t]
    return draws


def _cases():
    rng = np.random.default_rng(20)
    constant_and_nan = rng.normal(size=(2, 100, 4))
    constant_and_nan[..., 1] = 1.5                                # constant: no R-hat, ESS = its draws
    constant_and_nan[0, 7, 2] = np.nan                            # a NaN draw: everything NaN
    return {
        "iid, 2 chains": rng.normal(size=(2, 500, 6)),
        "AR(1) 0.9, 4 chains, odd draws": _ar1(rng, (4, 301, 5), 0.9),
        "AR(1) 0.9, 1 chain": _ar1(rng, (1, 400, 5), 0.9),
        "AR(1) 0.99, 40 draws": _ar1(rng, (2, 40, 4), 0.99),
        "AR(1) -0.7 (ESS above the draws)": _ar1(rng, (2, 300, 4), -0.7),
        "iid, 3 chains, odd draws": rng.normal(size=(3, 101, 4)),
        "float32": rng.normal(size=(2, 200, 4)).astype(np.float32),
        "ties (3 values)": rng.integers(0, 3, size=(2, 100, 5)).astype(float),
        "ties (0/1: folded draws constant)": rng.integers(0, 2, size=(2, 100, 5)).astype(float),
        "5 draws": rng.normal(size=(2, 5, 3)),
        "3 draws (too few)": rng.normal(size=(2, 3, 3)),
        "chains apart": rng.normal(size=(2, 300, 3)) + np.array([0.0, 3.0])[:, None, None],
        "constant and NaN": constant_and_nan,
    }


CASES = _cases()


@pytest.mark.parametrize("name", list(CASES))
def test_each_statistic_equals_arviz_per_scalar(name):
    draws = CASES[name]
    az = _arviz()
    ours = rank_diagnostics(draws)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = {
            "r_hat": [az.rhat(draws[..., j]) for j in range(draws.shape[-1])],
            "ess_bulk": [az.ess(draws[..., j], method="bulk") for j in range(draws.shape[-1])],
            "ess_tail": [az.ess(draws[..., j], method="tail") for j in range(draws.shape[-1])],
            "r_hat_bulk": [az.rhat(draws[..., j], method="z_scale") for j in range(draws.shape[-1])],
            "r_hat_folded": [az.rhat(draws[..., j], method="folded") for j in range(draws.shape[-1])],
            "ess_folded": [az.ess(draws[..., j], method="folded") for j in range(draws.shape[-1])]}
    assert set(reference) == set(ours)
    for stat, expected in reference.items():
        np.testing.assert_allclose(ours[stat], np.asarray(expected, dtype=float), rtol=1e-8, atol=0,
                                   equal_nan=True, err_msg=f"{name}: {stat}")


def test_the_cases_reach_the_branches_they_are_named_for():
    stats = {name: rank_diagnostics(draws) for name, draws in CASES.items()}
    assert (stats["AR(1) -0.7 (ESS above the draws)"]["ess_bulk"] > 600).all()          # antithetic chains
    assert (stats["AR(1) 0.9, 4 chains, odd draws"]["ess_bulk"] < 200).all()
    assert np.isnan(stats["AR(1) 0.9, 1 chain"]["r_hat"]).all()
    assert np.isnan(stats["3 draws (too few)"]["ess_bulk"]).all()
    assert (stats["chains apart"]["r_hat"] > 1.5).all()
    binary = stats["ties (0/1: folded draws constant)"]
    assert np.isfinite(binary["r_hat"]).all()                     # the bulk R-hat, the folded one being NaN
    constant = stats["constant and NaN"]
    assert np.isnan(constant["r_hat"][1]) and constant["ess_bulk"][1] == 200 and constant["ess_tail"][1] == 200
    assert np.isnan([constant[s][2] for s in constant]).all()


def test_the_table_equals_arvizs_own_table():
    rng = np.random.default_rng(3)
    posterior = {"theta": _ar1(rng, (2, 300, 3), 0.5)[..., None], "a": rng.normal(size=(2, 300, 2, 2)),
                 "fixed": np.zeros((2, 300, 2)), "sigma": rng.gamma(2.0, size=(2, 300))}
    names = ["theta", "a", "fixed", "sigma", "absent"]
    ours, reference = convergence_table(posterior, var_names=names), arviz_convergence_table(posterior, var_names=names)
    assert ours[["site", "index"]].values.tolist() == reference[["site", "index"]].values.tolist()
    assert ours["site"].tolist() == ["a"] * 4 + ["sigma"] + ["theta"] * 3          # sorted; constant dropped
    assert list(ours.columns) == list(reference.columns) == ["site", "index", *STATISTICS]
    np.testing.assert_allclose(ours[list(STATISTICS)].to_numpy(), reference[list(STATISTICS)].to_numpy(), rtol=1e-8)
