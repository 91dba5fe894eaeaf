"""The REML fit reproduces lme4 on sleepstudy (Reaction ~ Days + (Days | Subject)), with named tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapeval.decay import SATTERTHWAITE_T, WALD_Z, DecayError, mixed_model
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


def test_agrees_with_statsmodels_mixedlm(sleep):
    # an independent implementation of the same REML fit (statsmodels' MixedLM), with a nested variance component
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(2)
    g, s = np.repeat(np.arange(8), 12), np.tile(np.repeat(np.arange(3), 4), 8)
    x = rng.normal(size=g.size)
    y = 1 + 0.5 * x + rng.normal(0, 1, 8)[g] + rng.normal(0, 0.7, (8, 3))[g, s] + rng.normal(0, 0.4, g.size)
    data = pd.DataFrame({"y": y, "x": x, "g": g, "s": s})
    fit = mixed_model("y ~ x", data, groups="g", vc_formula={"s": "0 + C(s)"})
    # statsmodels drops the group intercept when vc_formula is given without re_formula; mixed_model keeps it
    ref = smf.mixedlm("y ~ x", data, groups="g", re_formula="1", vc_formula={"s": "0 + C(s)"}).fit(reml=True)
    assert fit.reml_criterion <= -2 * ref.llf + 1e-6
    assert fit.reml_criterion == pytest.approx(-2 * ref.llf, abs=1e-4)
    np.testing.assert_allclose([fe.estimate for fe in fit.fixed_effects], ref.fe_params, rtol=1e-4)
    # statsmodels' SEs come from its Hessian in all the parameters, lme4's (and ours) from (XᵀV⁻¹X)⁻¹:
    # close, not equal
    np.testing.assert_allclose([fe.sd for fe in fit.fixed_effects], ref.bse_fe, rtol=1e-2)
    vc = fit.variance_frame().set_index("group")
    assert vc.loc["s", "var1"] == "Intercept"
    assert vc.loc["g", "vcov"] == pytest.approx(float(ref.cov_re.iloc[0, 0]), rel=1e-3)
    assert vc.loc["s", "vcov"] == pytest.approx(float(ref.vcomp[0]), rel=1e-3)
    assert vc.loc["Residual", "vcov"] == pytest.approx(ref.scale, rel=1e-3)
    assert fit.vc_formula == (("s", "0 + C(s)"),)


def test_satterthwaite_exact_for_balanced_one_way():
    # balanced random-intercept model: the intercept's Satterthwaite df is exactly groups - 1
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(10), 7)
    y = 3 + rng.normal(0, 1.0, 10)[groups] + rng.normal(0, 0.5, groups.size)
    fit = mixed_model("y ~ 1", pd.DataFrame({"y": y, "g": groups}), groups="g")
    assert fit.coef("Intercept").test(SATTERTHWAITE_T).df == pytest.approx(9.0, abs=0.01)


@pytest.mark.parametrize("kwargs, match", [
    ({"vc_formula": {"s": "C(Days) + 1"}}, r"vc_formula\['s'\] = 'C\(Days\) \+ 1': write .* '0 \+ C\(column\)'"),
    ({"re_formula": "~log(Days)"}, r"random-effect columns \['log\(Days\)'\] must be plain column names"),
])
def test_mixed_model_refuses_unsupported_random_formulas(sleep, kwargs, match):
    with pytest.raises(DecayError, match=match):
        mixed_model("Reaction ~ Days", sleep, groups="Subject", **kwargs)


def test_mixed_model_names_missing_values(sleep):
    broken = sleep.assign(Reaction=sleep.Reaction.where(sleep.index != 3))
    with pytest.raises(DecayError, match=r"formula 'Reaction ~ Days': .*drop or fill missing values"):
        mixed_model("Reaction ~ Days", broken, groups="Subject")


def test_mixed_model_refuses_unknown_groups(sleep):
    with pytest.raises(ValueError, match=r"groups='subject' is not a column of data"):
        mixed_model("Reaction ~ Days", sleep, groups="subject")


def test_mixed_model_does_not_modify_data(sleep):
    before = sleep.copy()
    mixed_model("Reaction ~ Days", sleep, groups="Subject")
    pd.testing.assert_frame_equal(sleep, before)
