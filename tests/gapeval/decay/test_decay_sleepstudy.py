"""The REML fit reproduces lme4 on sleepstudy (Reaction ~ Days + (Days | Subject)), with named tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapeval.decay import SATTERTHWAITE_T, WALD_Z, mixed_model
from gapeval.decay import reml
from gapeval.decay.mixed import fit_lmm
from gapeval.decay.satterthwaite import satterthwaite_df
from gapeval.tables import coef_table, to_latex, to_markdown, variance_table

# lme4 (REML) values from shared/reference/README.md
FIXED = {"Intercept": 251.405104848485, "Days": 10.467285959595}
SE = {"Intercept": 6.8246, "Days": 1.5458}
SD_INTERCEPT, SD_DAYS, CORR, SD_RESIDUAL = 24.7405, 5.9221, 0.0656, 25.5918
REML_CRITERION = 1743.6283


@pytest.fixture(scope="module")
def sleep(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "sleepstudy.csv")


@pytest.fixture(scope="module")
def fit(sleep):
    return mixed_model("Reaction ~ Days", sleep, groups="Subject", re_formula="~Days")


def test_fixed_effects_match_lme4(fit):
    for term, value in FIXED.items():
        assert fit.coef(term).estimate == pytest.approx(value, rel=1e-7)
        assert fit.coef(term).sd == pytest.approx(SE[term], rel=1e-4)


def test_variance_components_match_lme4(fit):
    vc = fit.variance_frame()
    sd = dict(zip(vc.var1.fillna("Residual") + "|" + vc.var2.fillna(""), vc.sdcor))
    assert sd["Intercept|"] == pytest.approx(SD_INTERCEPT, rel=1e-5)
    assert sd["Days|"] == pytest.approx(SD_DAYS, rel=1e-5)
    assert sd["Intercept|Days"] == pytest.approx(CORR, abs=1e-4)  # printed to 3 significant digits
    assert sd["Residual|"] == pytest.approx(SD_RESIDUAL, rel=1e-5)
    assert fit.residual_sd == pytest.approx(SD_RESIDUAL, rel=1e-5)
    assert fit.reml_criterion == pytest.approx(REML_CRITERION, abs=1e-3)


def test_days_effect_named_tests(fit):
    days = fit.coef("Days")
    t, z = days.test(SATTERTHWAITE_T), days.test(WALD_Z)
    assert days.test().name == SATTERTHWAITE_T  # the preferred test comes first
    assert t.df == pytest.approx(17.0, abs=0.01)
    assert t.p_value == pytest.approx(3.26e-6, rel=5e-3)
    assert z.df is None
    assert z.p_value == pytest.approx(1.27e-11, rel=5e-3)
    assert t.statistic == pytest.approx(z.statistic) == pytest.approx(6.7715, rel=1e-4)
    # the interval inverts the t test with 17 df
    assert days.interval == SATTERTHWAITE_T
    assert days.upper - days.estimate == pytest.approx(2.109816 * days.sd, rel=1e-4)
    assert fit.coef("Intercept").test(SATTERTHWAITE_T).df == pytest.approx(17.0, abs=0.01)


def test_table_reports_days_with_each_named_test(fit):
    t_md = to_markdown(coef_table(fit, terms=["Days"]))
    z_md = to_markdown(coef_table(fit, terms=["Days"], test=WALD_Z))
    # p-values below 0.001 print as "< 0.001" (their values: test_days_effect_named_tests)
    assert "| Days | 10.467 | 1.546 | [7.206, 13.729] | 6.77 | 17.0 | < 0.001 | t (Satterthwaite df) |" in t_md
    assert "| Days | 10.467 | 1.546 | [7.438, 13.497] | 6.77 | — | < 0.001 | Wald z |" in z_md
    assert "Satterthwaite's approximate degrees of freedom" in t_md
    assert r"& 17.0 & $<$0.001 &" in to_latex(coef_table(fit, terms=["Days"]))


def test_variance_table_rows(fit):
    table = variance_table(fit)
    assert [r[:2] for r in table.rows] == [
        ("Subject", "Intercept"), ("Subject", "Days"), ("Subject", "Intercept × Days"), ("Residual", None)
    ]
    assert table.values("sdcor")[2] == pytest.approx(CORR, abs=1e-4)


def test_engine_agrees_with_statsmodels(sleep):
    lmm = fit_lmm("Reaction ~ Days", sleep, groups="Subject", re_formula="~Days", vc_formula=None)
    assert reml.reml_deviance(lmm.problem, lmm.varpar) == pytest.approx(-2 * lmm.result.llf, abs=1e-6)
    beta, cov = reml.fixed_effects(lmm.problem, lmm.varpar)
    np.testing.assert_allclose(beta, lmm.result.fe_params, rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), lmm.result.bse_fe, rtol=1e-6)
    blups = reml.blups(lmm.problem, lmm.varpar)
    for label, b in zip(lmm.model.group_labels, blups):
        np.testing.assert_allclose(b, lmm.result.random_effects[label].to_numpy(), rtol=1e-6, atol=1e-8)


def test_satterthwaite_exact_for_balanced_one_way():
    # balanced random-intercept model: the intercept's Satterthwaite df is exactly groups - 1
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(10), 7)
    y = 3 + rng.normal(0, 1.0, 10)[groups] + rng.normal(0, 0.5, groups.size)
    lmm = fit_lmm("y ~ 1", pd.DataFrame({"y": y, "g": groups}), groups="g", re_formula=None,
                  vc_formula=None)
    assert satterthwaite_df(lmm.problem, lmm.varpar, np.eye(1))[0] == pytest.approx(9.0, abs=0.01)


def test_mixed_model_refuses_unknown_groups(sleep):
    with pytest.raises(ValueError, match=r"groups='subject' is not a column of data"):
        mixed_model("Reaction ~ Days", sleep, groups="subject")


def test_mixed_model_does_not_modify_data(sleep):
    before = sleep.copy()
    mixed_model("Reaction ~ Days", sleep, groups="Subject")
    pd.testing.assert_frame_equal(sleep, before)
