"""decay() reproduces lme4 / lmerTest / glmer on crossed and nested shared-dialogue designs.

The reference numbers were computed once by R (lme4 1.1.31, lmerTest 3.1.3; ``fit_lme4.R``) and are
stored in ``tests/reference_data/decay_crossed/``; R is not needed here. Tolerances are the issue's:
REML fixed effects to 1e-4, SEs and variance components to 1e-3 relative; glmer's fixed effects to
1e-2 and SEs to 5%.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gapeval.decay import CONTAINMENT_T, WALD_Z, ConvergenceWarning, decay

REFERENCE = Path(__file__).parents[2] / "reference_data" / "decay_crossed"
#: R's names of the fixed effects and effect columns -> decay's.
R_TERMS = {"(Intercept)": "Intercept", "x": "turn", "directionunderstanding": "direction[understanding]",
           "x:directionunderstanding": "turn:direction[understanding]"}
R_COLUMNS = {"(Intercept)": "Intercept", "x": "turn"}


def _reference(fit: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    fixed = pd.read_csv(REFERENCE / f"{fit}_fixed.csv").assign(term=lambda d: d.term.map(R_TERMS))
    varcorr = pd.read_csv(REFERENCE / f"{fit}_varcorr.csv")
    info = dict(pd.read_csv(REFERENCE / f"{fit}_info.csv", dtype=str).itertuples(index=False))
    return fixed.set_index("term"), varcorr, info


def _fit(data: str, structure: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = decay(pd.read_csv(REFERENCE / f"{data}.csv"), structure=structure)
    return result, [w for w in caught if issubclass(w.category, ConvergenceWarning)]


def _components(result) -> dict[tuple, float]:
    return {(v.group, v.var1, v.var2): v.sdcor for v in result.variance_components}


def _r_key(row) -> tuple:
    var1 = R_COLUMNS.get(row.var1) if isinstance(row.var1, str) else None
    var2 = R_COLUMNS.get(row.var2) if isinstance(row.var2, str) else None
    return ("Residual" if row.grp == "Residual" else row.grp, var1, var2)


def _check_fixed(result, fixed: pd.DataFrame, *, atol: float, se_rtol: float) -> None:
    mine = result.fixed_frame().set_index("term").loc[fixed.index]
    np.testing.assert_allclose(mine["estimate"], fixed["estimate"], rtol=0, atol=atol)
    np.testing.assert_allclose(mine["sd"], fixed["se"], rtol=se_rtol)


def _check_components(result, varcorr: pd.DataFrame, *, rtol: float, atol: float = 0.0) -> None:
    mine = _components(result)
    assert len(mine) == len(varcorr), (sorted(mine), varcorr)
    for row in varcorr.itertuples(index=False):
        assert mine[_r_key(row)] == pytest.approx(row.sdcor, rel=rtol, abs=atol), row


@pytest.fixture(scope="module")
def gaussian_crossed():
    return _fit("gaussian", "crossed")


def test_reml_crossed_matches_lmer(gaussian_crossed):
    result, caught = gaussian_crossed
    fixed, varcorr, info = _reference("lmer_gaussian_crossed")
    assert caught == [] and info["isSingular"] == "FALSE"
    assert result.structure == "crossed"
    assert "(1 | session) + (1 | item) + (1 | model:session)" in result.formula
    _check_fixed(result, fixed, atol=1e-4, se_rtol=1e-3)
    _check_components(result, varcorr, rtol=1e-3)
    df = [fe.test("t (Satterthwaite df)").df for fe in result.fixed_effects]
    np.testing.assert_allclose(df, fixed["df"], rtol=2e-3)  # lmerTest's Satterthwaite df: 10.57, 5.67, 447, 447
    # REML criterion: lme4's optimum or a better one
    assert result.mixed.reml_criterion == pytest.approx(float(info["REMLcrit"]), abs=1e-4)
    assert result.mixed.reml_criterion <= float(info["REMLcrit"]) + 1e-6


def test_reml_crossed_per_model_slopes_match_lmer_ranef(gaussian_crossed):
    result, _ = gaussian_crossed
    fixed, _, _ = _reference("lmer_gaussian_crossed")
    ranef = pd.read_csv(REFERENCE / "lmer_gaussian_crossed_ranef_model.csv").set_index("model")
    slopes = result.slopes_frame().query("direction == 'generation'").set_index("model")
    np.testing.assert_allclose(slopes.loc[ranef.index, "deviation"], ranef["x"], atol=1e-5)
    np.testing.assert_allclose(slopes.loc[ranef.index, "estimate"], fixed.loc["turn", "estimate"] + ranef["x"],
                               atol=1e-5)


def test_reml_nested_matches_lmer():
    result, caught = _fit("gaussian", "nested")
    fixed, varcorr, _ = _reference("lmer_gaussian_nested")
    assert caught == [] and result.structure == "nested"
    _check_fixed(result, fixed, atol=1e-4, se_rtol=1e-3)
    _check_components(result, varcorr, rtol=1e-3)
    # the nested structure on shared dialogues: SEs of the direction terms far smaller than the crossed fit's
    crossed, _, _ = _reference("lmer_gaussian_crossed")
    assert (fixed["se"] / crossed["se"]).loc["turn:direction[understanding]"] < 0.6


@pytest.mark.slow  # about 30 s on two idle cores, 110 s loaded
def test_reml_singular_fit_warns_like_lme4():
    result, caught = _fit("gaussian_singular", "crossed")
    fixed, varcorr, info = _reference("lmer_gaussian_singular")
    assert info["isSingular"] == "TRUE"
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "boundary (singular) fit" in message and "(1 | session): a zero variance" in message
    assert "(1 | item)" not in message and "(1 + turn | model)" not in message
    _check_fixed(result, fixed, atol=1e-4, se_rtol=1e-3)
    # lme4 stops at SD 1.8e-6 for the dialogue term; the optimum is at zero
    _check_components(result, varcorr, rtol=1e-3, atol=1e-5)
    assert result.mixed.reml_criterion <= float(info["REMLcrit"]) + 1e-6


@pytest.mark.parametrize("structure", [pytest.param("crossed", marks=pytest.mark.slow), "nested"])
def test_laplace_matches_glmer(structure):
    result, caught = _fit("binomial", structure)
    fixed, varcorr, info = _reference(f"glmer_binomial_{structure}")
    assert caught == [] and result.family == "binomial" and result.estimator.startswith("Laplace")
    assert result.structure == structure
    _check_fixed(result, fixed, atol=1e-2, se_rtol=0.05)
    _check_components(result, varcorr, rtol=0.05, atol=0.01)
    # the Wald z of glmer's summary, for every effect
    np.testing.assert_allclose([fe.test(WALD_Z).statistic for fe in result.fixed_effects], fixed["statistic"],
                               rtol=0.05)
    # the preferred test of the intercept and turn, which the model term (1 + turn | model) contains: t on
    # 6 models - 1 df; direction effects: Wald z when nested, t on the 480 shared items - 4 when crossed
    tests = [fe.test() for fe in result.fixed_effects]
    df_direction = 476.0 if structure == "crossed" else None
    assert [(t.name, t.df) for t in tests] == [(CONTAINMENT_T, 5.0)] * 2 + [
        (CONTAINMENT_T if df_direction else WALD_Z, df_direction)] * 2
    for fe, test in zip(result.fixed_effects, tests):
        q = stats.t.ppf(0.975, test.df) if test.df else stats.norm.ppf(0.975)
        assert (fe.lower, fe.upper) == pytest.approx((fe.estimate - q * fe.sd, fe.estimate + q * fe.sd), rel=1e-12)
        assert test.statistic == pytest.approx(fe.test(WALD_Z).statistic, rel=1e-12)
