"""context_curve: the decay models on log context size recover a known slope; binned means add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapeval.decay import DecayError, context_curve, decay
from gapeval.decay.context import BIN_COLUMNS, binned_means

#: True fixed effects: score per doubling of context, and the extra generation slope.
SLOPE, SLOPE_GENERATION = -0.04, -0.03


def _simulate(*, num_models=6, num_sessions=10, per_session=8, family="gaussian", seed=0):
    """Answers at context sizes 2^u·300 tokens, u ~ U(0, 6), with known per-model log2-context slopes."""
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for m in range(num_models):
        dev, icpt = rng.normal(0, 0.015), rng.normal(0, 0.05)
        truth += [(f"model_{m}", "understanding", SLOPE + dev),
                  (f"model_{m}", "generation", SLOPE + SLOPE_GENERATION + dev)]
        for s in range(num_sessions):
            e = rng.normal(0, 0.03)
            for g in (0, 1):
                u = rng.uniform(0, 6, per_session)
                eta = 0.8 + icpt + e - 0.1 * g + (SLOPE + dev + SLOPE_GENERATION * g) * u
                if family == "gaussian":
                    y = eta + rng.normal(0, 0.06, per_session)
                else:  # logit 4·eta − 2: slopes ×4 on the logit scale
                    y = rng.binomial(1, 1 / (1 + np.exp(-(eta * 4 - 2))))
                rows.append(pd.DataFrame({"model": f"model_{m}", "session": f"m{m}s{s}",  # each model's own dialogues
                                          "item": [f"m{m}s{s}g{g}k{k}" for k in range(per_session)],
                                          "context_tokens": 300 * 2.0 ** u,
                                          "direction": ["understanding", "generation"][g], "score": y}))
    return pd.concat(rows, ignore_index=True), pd.DataFrame(truth, columns=["model", "direction", "true_slope"])


@pytest.fixture(scope="module")
def simulated():
    return _simulate()


def test_known_log_context_slope_is_recovered(simulated):
    responses, truth = simulated
    result = context_curve(responses, reference=300.0)
    fixed = result.fit.fixed_frame().set_index("term")
    assert list(fixed.index[:4]) == ["Intercept", "log2(context_tokens)", "direction[understanding]",
                                      "log2(context_tokens):direction[understanding]"]
    # generation is the reference level: its slope is SLOPE + SLOPE_GENERATION, understanding adds -SLOPE_GENERATION
    for term, true in (("log2(context_tokens)", SLOPE + SLOPE_GENERATION),
                       ("log2(context_tokens):direction[understanding]", -SLOPE_GENERATION)):
        assert fixed.loc[term, "lower"] < true < fixed.loc[term, "upper"], fixed
    assert fixed.loc["log2(context_tokens)", "p_value"] < 1e-3
    assert abs(fixed.loc["Intercept", "estimate"] - 0.7) < 0.08  # generation's intercept, 0.8 - 0.1
    slopes = result.slopes_frame().merge(truth, on=["model", "direction"])
    assert ((slopes["lower"] < slopes["true_slope"]) & (slopes["true_slope"] < slopes["upper"])).mean() >= 11 / 12
    assert np.corrcoef(slopes["estimate"], slopes["true_slope"])[0, 1] > 0.8
    assert "log2(context_tokens) * direction" in result.fit.formula
    assert "turn" not in " ".join(v.var1 or "" for v in result.fit.variance_components)


def test_same_numbers_as_decay_on_the_log_scale(simulated):
    responses, _ = simulated
    result = context_curve(responses, reference=300.0)
    by_hand = decay(responses.assign(turn=np.log2(responses["context_tokens"] / 300.0) + 1))
    np.testing.assert_allclose(result.fit.fixed_frame()["estimate"], by_hand.fixed_frame()["estimate"], rtol=1e-6)
    # base e multiplies each slope by log2(e)... i.e. a slope per e-fold is slope_per_doubling / ln 2
    natural = context_curve(responses, reference=300.0, log_base=np.e)
    ratio = natural.fit.fixed_frame()["estimate"][1] / result.fit.fixed_frame()["estimate"][1]
    assert ratio == pytest.approx(1 / np.log(2), rel=1e-5)
    assert natural.variable == "log(context_tokens)"


def test_binned_means_table(simulated):
    responses, _ = simulated
    table = context_curve(responses, bins=4).binned
    assert tuple(table.columns) == BIN_COLUMNS
    assert table["n"].sum() == len(responses)
    assert (table["lower"] <= table["mean"]).all() and (table["mean"] <= table["upper"]).all()
    assert ((table["context_lower"] <= table["context"]) & (table["context"] <= table["context_upper"])).all()
    mean_by_bin = table[table["direction"] == "generation"].groupby("bin")["mean"].mean()
    assert mean_by_bin.iloc[-1] < mean_by_bin.iloc[0] - 0.3  # 6 doublings x -0.07
    first = responses[(responses.model == "model_0") & (responses.direction == "generation")]
    row = table[(table.model == "model_0") & (table.direction == "generation") & (table.bin == 0)].iloc[0]
    inside = first[first.context_tokens < row.context_upper]
    assert row["n"] == len(inside) and row["mean"] == pytest.approx(inside.score.mean())
    assert table.attrs["interval"].startswith("t ")


def test_binary_scores_use_jeffreys_and_the_glmm():
    responses, _ = _simulate(num_models=4, num_sessions=6, family="binomial", seed=1)
    result = context_curve(responses, bins=[300, 2400, 19200])
    assert result.fit.family == "binomial"
    assert result.binned.attrs["interval"].startswith("Jeffreys")
    assert set(result.binned["bin"]) == {0, 1}
    generation = result.slopes_frame().query("direction == 'generation'")
    assert (generation["estimate"] < 0).all()  # true logit slope per doubling: 4 x (-0.07) = -0.28


@pytest.mark.parametrize(
    ("change", "options", "message"),
    [
        (lambda df: df.drop(columns=["context_tokens"]), {}, "no column 'context_tokens'"),
        (lambda df: df.assign(context_tokens=0), {}, "non-positive"),
        (lambda df: df, {"log_base": 1.0}, "greater than 1"),
        (lambda df: df, {"bins": [100, 50]}, "increasing"),
    ],
)
def test_errors(simulated, change, options, message):
    responses, _ = simulated
    with pytest.raises(DecayError, match=message):
        context_curve(change(responses), **options)


def test_binned_means_rejects_bad_level(simulated):
    with pytest.raises(DecayError, match="strictly between"):
        binned_means(simulated[0], level=95)


def test_explanatory_doc_examples_run(tmp_path, monkeypatch):
    """Every python block of docs/decay_explanatory.md runs as written."""
    import re
    import warnings
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "decay_explanatory.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 3
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(block, "docs/decay_explanatory.md", "exec"), {})  # noqa: S102 - our own documentation


def test_messages_name_the_log_context_not_the_internal_column():
    from gapeval.decay import ConvergenceWarning, simulate_decay

    responses, _ = simulate_decay(num_models=4, num_sessions=6, num_turns=4, sd_model_turn=0.0, seed=1)
    responses["context_tokens"] = 256 * 2.0 ** (responses["turn"] - 1)
    with pytest.warns(ConvergenceWarning, match=r"singular.*\(1 \+ log2\(context_tokens\) \| model\)") as caught:
        context_curve(responses)
    assert not any("__" in str(w.message) for w in caught)
    assert caught[0].filename == __file__  # points at the caller
    with pytest.raises(DecayError, match=r"^column 'log2\(context_tokens\)' has a single value"):
        context_curve(responses.assign(context_tokens=300))
