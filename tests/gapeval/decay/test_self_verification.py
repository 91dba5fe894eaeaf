"""self_verification_drift: false acceptance by turn, its intervals, and the logistic drift slope."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gapeval.decay import WALD_Z, DecayError
from gapeval.decay.self_verification import ALL_MODELS, self_verification_drift, wilson_interval

#: True log-odds drift of false acceptance per turn, per model.
DRIFT = {"steady": 0.0, "drifting": 0.35, "fast": 0.7}


def _simulate(*, per_turn=150, num_turns=6, seed=0) -> pd.DataFrame:
    """Verdicts where the reference rejects 40% of outputs and false acceptance has a known drift."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, drift in DRIFT.items():
        for t in range(1, num_turns + 1):
            wrong = rng.random(per_turn) < 0.4
            p_false = 1 / (1 + np.exp(-(-1.5 + drift * (t - 1))))
            accept = np.where(wrong, rng.random(per_turn) < p_false, rng.random(per_turn) < 0.9)
            rows.append(pd.DataFrame({"model": name, "turn": t, "self_verdict": np.where(accept, "accept", "reject"),
                                      "reference": np.where(wrong, "reject", "accept")}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def verdicts():
    return _simulate()


def test_known_drift_is_recovered_with_wald_z(verdicts):
    result = self_verification_drift(verdicts)
    slopes = result.slopes.set_index("model")
    for name, drift in DRIFT.items():
        row = slopes.loc[name]
        assert row["lower"] < drift < row["upper"], slopes
        assert row["test"] == WALD_Z
        assert row["statistic"] == pytest.approx(row["estimate"] / row["sd"])
        assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(row["statistic"])))
    assert slopes.loc["steady", "p_value"] > 0.05
    assert slopes.loc["drifting", "p_value"] < 1e-4 and slopes.loc["fast", "p_value"] < 1e-8
    assert slopes.loc["fast", "odds_ratio"] == pytest.approx(np.exp(slopes.loc["fast", "estimate"]))
    pooled = slopes.loc[ALL_MODELS]
    assert 0.0 < pooled["estimate"] < 0.7 and pooled["n"] == (verdicts["reference"] == "reject").sum()


def test_slope_matches_a_direct_glm(verdicts):
    import statsmodels.api as sm

    wrong = verdicts[(verdicts.model == "fast") & (verdicts.reference == "reject")]
    design = sm.add_constant(wrong["turn"].to_numpy(float) - 1)
    direct = sm.GLM((wrong.self_verdict == "accept").astype(float), design, family=sm.families.Binomial()).fit()
    row = self_verification_drift(verdicts).slopes.set_index("model").loc["fast"]
    assert row["estimate"] == pytest.approx(direct.params.iloc[1], rel=1e-8)
    assert row["sd"] == pytest.approx(direct.bse.iloc[1], rel=1e-6)


def test_per_turn_rates_and_intervals(verdicts):
    result = self_verification_drift(verdicts, interval="wilson", level=0.9)
    rates = result.rates
    assert list(rates.columns) == ["model", "turn", "n_rejected", "n_false_accept", "rate", "lower", "upper", "n"]
    assert len(rates) == 18 and (rates["n"] == 150).all()
    sub = verdicts[(verdicts.model == "fast") & (verdicts.turn == 4) & (verdicts.reference == "reject")]
    row = rates[(rates.model == "fast") & (rates.turn == 4)].iloc[0]
    assert row["n_rejected"] == len(sub) and row["n_false_accept"] == (sub.self_verdict == "accept").sum()
    lower, upper = wilson_interval([row["n_false_accept"]], [row["n_rejected"]], level=0.9)
    assert (row["lower"], row["upper"]) == pytest.approx((lower[0], upper[0]))
    fast = rates[rates.model == "fast"].set_index("turn")["rate"]
    assert fast[6] > fast[1] + 0.4  # true 0.89 vs 0.18
    jeffreys = self_verification_drift(verdicts).rates
    assert not np.allclose(jeffreys["lower"], rates["lower"])
    assert (jeffreys["lower"] <= jeffreys["rate"]).all() and (jeffreys["rate"] <= jeffreys["upper"]).all()


def test_wilson_interval_reference_values():
    # Agresti & Coull (1998) style check: 0 of 10 and 10 of 10 touch the bounds; 5 of 10 is symmetric
    lower, upper = wilson_interval([0, 5, 10], [10, 10, 10])
    assert lower[0] == 0.0 and upper[2] == pytest.approx(1.0)
    assert lower[1] == pytest.approx(1 - upper[1]) and lower[1] == pytest.approx(0.2366, abs=1e-4)


def test_boolean_verdicts_and_separation_note():
    df = pd.DataFrame({"model": ["a"] * 6 + ["b"] * 6, "turn": [1, 1, 2, 2, 3, 3] * 2,
                       "self_verdict": [True, False, True, True, False, True] + [False] * 6,
                       "reference": [False] * 12})
    slopes = self_verification_drift(df).slopes.set_index("model")
    assert np.isfinite(slopes.loc["a", "estimate"])
    assert np.isnan(slopes.loc["b", "estimate"]) and "rejects every output" in slopes.loc["b", "note"]


def test_separated_turns_leave_the_slope_empty_with_a_note():
    df = pd.DataFrame({"model": "a", "turn": [1, 1, 2, 2, 3, 3, 4, 4],
                       "self_verdict": ["reject"] * 4 + ["accept"] * 4, "reference": "reject"})
    row = self_verification_drift(df).slopes.iloc[0]
    assert np.isnan(row["estimate"]) and np.isnan(row["p_value"]) and "do not overlap" in row["note"]


@pytest.mark.parametrize(
    ("change", "options", "message"),
    [
        (lambda df: df.drop(columns=["reference"]), {}, "no column 'reference'"),
        (lambda df: df.assign(self_verdict="maybe"), {}, "accept/reject"),
        (lambda df: df.assign(turn=0), {}, "1-based"),
        (lambda df: df, {"interval": "wald"}, "not one of"),
        (lambda df: df, {"level": 0}, "strictly between"),
    ],
)
def test_errors(verdicts, change, options, message):
    with pytest.raises(DecayError, match=message):
        self_verification_drift(change(verdicts), **options)
