"""Protocol effects (one joint gap fit), cost per answer, protocol x turn decay, tables and figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer

from gapeval.errors import GapevalError
from gapeval.figures import save_figure
from gapeval.protocol_analysis.cost import protocol_cost
from gapeval.protocol_analysis.decay import protocol_decay
from gapeval.protocol_analysis.effects import POOLED, QUANTITIES, protocol_effects, select_final
from gapeval.protocol_analysis.figures import protocol_forest_plot
from gapeval.protocol_analysis.simulate import simulate_protocol_responses
from gapeval.protocol_analysis.tables import protocol_decay_table, protocol_effects_table
from gapeval.tables import to_latex, to_markdown

SHIFTS = {"direct": (0.0, 0.0), "cot": (0.0, 0.8), "best-of-n": (0.0, 0.4)}


def _steps_for(responses: pd.DataFrame) -> pd.DataFrame:
    """A steps table for the answers: cot adds a thought; best-of-n draws 3 candidates and copies one."""
    rows = []
    for rec in responses[["model", "protocol", "item"]].to_dict("records"):
        key = {**rec, "session": None, "turn": None, "sample": 0}
        if rec["protocol"] == "direct":
            rows.append({**key, "step": "final", "context_tokens": 100, "output_tokens": 20, "called": True})
        elif rec["protocol"] == "cot":
            rows.append({**key, "step": "thought", "context_tokens": 100, "output_tokens": 180, "called": True})
            rows.append({**key, "step": "final", "context_tokens": 300, "output_tokens": 20, "called": True})
        else:
            rows += [{**key, "step": f"candidate-{k}", "context_tokens": 100, "output_tokens": 20, "called": True}
                     for k in (1, 2, 3)]
            rows.append({**key, "step": "final", "context_tokens": 100, "output_tokens": 20, "called": False})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def simulated():
    return simulate_protocol_responses(6, 80, protocols=SHIFTS, seed=1)


@pytest.fixture(scope="module")
def fitted(simulated):
    df, _ = simulated
    return protocol_effects(df, inference="svi", seed=1, steps=_steps_for(df))


def test_pooled_intervals_cover_the_known_effects(fitted, simulated):
    _, truth = simulated
    for protocol in ("cot", "best-of-n"):
        true = truth.effect(protocol, "direct").mean(numeric_only=True)
        for q in QUANTITIES:
            e = fitted.effect(protocol, q)
            assert e["lower"] <= true[q] <= e["upper"], (protocol, q, e, true[q])
        # theta_U is unchanged: its interval covers 0; theta_G moves: its interval excludes 0
        unchanged = fitted.effect(protocol, "theta_understanding")
        assert unchanged["lower"] < 0 < unchanged["upper"]
        assert fitted.effect(protocol, "theta_generation")["lower"] > 0
        assert fitted.effect(protocol, "theta_generation")["p_positive"] > 0.975
    assert fitted.effect("cot", "gap")["upper"] < 0
    assert fitted.effect("cot", "theta_generation")["estimate"] > fitted.effect("best-of-n", "theta_generation")["estimate"]


def test_effects_layout_and_gap_compare_cross_check(fitted):
    assert fitted.protocols == ("direct", "best-of-n", "cot")
    assert len(fitted.effects) == 6 * 2 * 3 and len(fitted.pooled) == 2 * 3
    assert (fitted.pooled["n_models"] == 6).all()
    assert len(fitted.scores) == 18 and {"model", "protocol"} <= set(fitted.scores.columns)
    gaps = fitted.effects[fitted.effects["quantity"] == "gap"].merge(fitted.compare, on=["model", "protocol"])
    assert len(gaps) == 12
    np.testing.assert_allclose(gaps["estimate"], gaps["difference"], atol=1e-5)
    np.testing.assert_allclose(gaps["p_positive"], gaps["p_greater"], atol=1e-9)
    # the gap effect is the theta_U effect minus the theta_G effect, draw by draw, so also in the mean
    wide = fitted.wide(pooled=False)
    np.testing.assert_allclose(wide["gap_estimate"], wide["theta_understanding_estimate"] - wide["theta_generation_estimate"],
                               atol=1e-9)
    # the pooled effect is the mean of the per-model effects
    mean = fitted.effects.groupby(["protocol", "quantity"])["estimate"].mean()
    for rec in fitted.pooled.to_dict("records"):
        assert rec["estimate"] == pytest.approx(mean[(rec["protocol"], rec["quantity"])], abs=1e-9)


def test_cost_sits_beside_each_gain(fitted):
    wide = fitted.wide()
    pooled = wide[wide["model"] == POOLED].set_index("protocol")
    assert pooled.loc["cot", "calls_ratio"] == 2.0 and pooled.loc["best-of-n", "calls_ratio"] == 3.0
    assert pooled.loc["cot", "input_tokens_ratio"] == 4.0 and pooled.loc["cot", "output_tokens_ratio"] == 10.0
    assert pooled.loc["best-of-n", "output_tokens_ratio"] == 3.0
    assert wide["calls_ratio"].notna().all()


def test_swapping_the_baseline_negates_the_effects():
    df, _ = simulate_protocol_responses(3, 25, protocols={"direct": (0.0, 0.0), "cot": (0.2, 0.6)}, seed=4)
    one = protocol_effects(df, baseline="direct", inference="svi", num_steps=800, seed=2)
    two = protocol_effects(df, baseline="cot", inference="svi", num_steps=800, seed=2)
    a = one.effects.set_index(["model", "quantity"])
    b = two.effects.set_index(["model", "quantity"]).loc[a.index]
    assert (two.effects["protocol"] == "direct").all()
    np.testing.assert_allclose(a["estimate"], -b["estimate"], atol=1e-6)
    np.testing.assert_allclose(a["lower"], -b["upper"], atol=1e-6)
    np.testing.assert_allclose(a["p_positive"], 1 - b["p_positive"], atol=1e-9)


@pytest.fixture
def small():
    df, _ = simulate_protocol_responses(2, 4, protocols={"direct": (0, 0), "cot": (0, 1)}, seed=0)
    return df


def test_errors_say_what_is_wrong(small):
    with pytest.raises(GapevalError, match=r"baseline protocol 'plain' is not in column 'protocol'"):
        protocol_effects(small, baseline="plain")
    with pytest.raises(GapevalError, match=r"column 'protocol' \(the protocol column\) is not in"):
        protocol_effects(small.drop(columns="protocol"))
    with pytest.raises(GapevalError, match=r"model\(s\) \['m01'\] have no answers under the baseline"):
        protocol_effects(small[~((small["model"] == "m01") & (small["protocol"] == "direct"))])
    with pytest.raises(GapevalError, match="holds one protocol"):
        protocol_effects(small[small["protocol"] == "direct"])
    with pytest.raises(GapevalError, match=r"unknown gap_score option\(s\) \['num_stpes'\]"):
        protocol_effects(small, num_stpes=10)
    with pytest.raises(GapevalError, match="repeat a \\(model, protocol, item\\)"):
        protocol_effects(pd.concat([small, small.iloc[:1]]))
    with pytest.raises(GapevalError, match="no row has 'step' == 'final'"):
        protocol_effects(small.assign(step="thought"))
    with pytest.raises(GapevalError, match="second 'final' step"):  # a bad steps table fails before the fit
        protocol_effects(small, steps=pd.concat([_hand_steps(), _hand_steps().iloc[[0]]]))


def test_only_final_steps_are_scored(small):
    extra = small.iloc[:3].assign(step="thought", score=0.5)
    kept = select_final(pd.concat([small, extra], ignore_index=True), step="step", final="final")
    assert len(kept) == len(small) and (kept["step"] == "final").all()
    assert select_final(small.drop(columns="step"), step="step", final="final").shape[0] == len(small)


def _hand_steps() -> pd.DataFrame:
    cols = ["model", "protocol", "item", "session", "turn", "sample", "step", "context_tokens", "output_tokens",
            "called"]
    rows = [
        # model a: direct, two answers
        ("a", "direct", "q1", None, None, 0, "final", 100, 10, True),
        ("a", "direct", "q2", None, None, 0, "final", 140, 30, True),
        # model a: cot, thought + final for each
        ("a", "cot", "q1", None, None, 0, "thought", 100, 200, True),
        ("a", "cot", "q1", None, None, 0, "final", 300, 10, True),
        ("a", "cot", "q2", None, None, 0, "thought", 140, 100, True),
        ("a", "cot", "q2", None, None, 0, "final", 240, 30, True),
        # model a: best-of-n with 2 candidates on a dialogue turn, final copies one (no call)
        ("a", "best-of-n", "q1", "s1", 1, 0, "candidate-1", 100, 10, True),
        ("a", "best-of-n", "q1", "s1", 1, 0, "candidate-2", 100, 12, True),
        ("a", "best-of-n", "q1", "s1", 1, 0, "final", 100, 12, False),
        # model b: direct, one answer whose output count is missing
        ("b", "direct", "q1", None, None, 0, "final", 50, 20, True),
        ("b", "cot", "q1", None, None, 0, "thought", 50, None, True),
        ("b", "cot", "q1", None, None, 0, "final", 150, 20, True),
    ]
    return pd.DataFrame(rows, columns=cols)


def test_cost_arithmetic_on_a_hand_made_steps_table():
    cost = protocol_cost(_hand_steps()).set_index(["model", "protocol"])
    a_direct, a_cot, a_best = cost.loc[("a", "direct")], cost.loc[("a", "cot")], cost.loc[("a", "best-of-n")]
    assert (a_direct["n_final"], a_direct["calls_per_answer"], a_direct["input_tokens_per_answer"],
            a_direct["output_tokens_per_answer"]) == (2, 1.0, 120.0, 20.0)
    assert (a_cot["calls_per_answer"], a_cot["input_tokens_per_answer"], a_cot["output_tokens_per_answer"]) == (
        2.0, 390.0, 170.0)
    assert (a_cot["calls_ratio"], a_cot["input_tokens_ratio"], a_cot["output_tokens_ratio"]) == (2.0, 3.25, 8.5)
    assert (a_best["n_final"], a_best["calls_per_answer"], a_best["input_tokens_per_answer"],
            a_best["output_tokens_per_answer"]) == (1, 2.0, 200.0, 22.0)
    assert a_best["input_tokens_ratio"] == pytest.approx(200 / 120) and a_best["output_tokens_ratio"] == 1.1
    b_cot = cost.loc[("b", "cot")]
    assert (b_cot["calls_ratio"], b_cot["input_tokens_ratio"], b_cot["output_tokens_ratio"]) == (2.0, 4.0, 1.0)
    assert b_cot["n_missing_tokens"] == 1 and a_cot["n_missing_tokens"] == 0
    pooled = cost.loc[(POOLED, "cot")]
    assert pooled["calls_ratio"] == 2.0 and pooled["input_tokens_ratio"] == pytest.approx((3.25 + 4.0) / 2)
    assert pooled["n_final"] == 3 and pooled["n_missing_tokens"] == 1
    assert cost.loc[(POOLED, "best-of-n"), "calls_ratio"] == 2.0  # only model a ran best-of-n
    assert list(cost.index.get_level_values("protocol")[:3]) == ["direct", "best-of-n", "cot"]


def test_cost_errors():
    steps = _hand_steps()
    with pytest.raises(GapevalError, match="second 'final' step"):
        protocol_cost(pd.concat([steps, steps.iloc[[0]]]))
    with pytest.raises(GapevalError, match=r"have steps but no 'final' step"):
        protocol_cost(steps.drop(index=[3, 5]))
    with pytest.raises(GapevalError, match=r"column 'called' \(called\) has values \['maybe'\]"):
        protocol_cost(steps.assign(called=["maybe"] + [True] * (len(steps) - 1)))
    with pytest.raises(GapevalError, match=r"model\(s\) \['b'\]"):
        protocol_cost(steps.drop(index=[9]))
    with pytest.raises(GapevalError, match=r"column 'output_tokens' \(the output_tokens column\)"):
        protocol_cost(steps.drop(columns="output_tokens"))
    with pytest.raises(GapevalError, match="token counts must be non-negative"):
        protocol_cost(steps.assign(context_tokens=-1))


def _dialogues(seed: int = 0) -> pd.DataFrame:
    """Continuous scores with a cot main effect of 0.05 and a cot x turn slope of +0.03 per turn."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(6):
        u, v = rng.normal(0, 0.05), rng.normal(0, 0.01)
        for p in ("direct", "cot"):
            for s in range(8):
                e = rng.normal(0, 0.03)
                for t in range(1, 7):
                    for d in ("understanding", "generation"):
                        x, g, c = t - 1, float(d == "generation"), float(p == "cot")
                        mean = 0.7 + u + e + (-0.04 + v) * x - 0.1 * g - 0.01 * x * g + 0.05 * c + 0.03 * c * x
                        # every model runs its own dialogues and items (the nested structure)
                        rows.append({"model": f"m{m}", "protocol": p, "session": f"m{m}s{s}", "turn": t,
                                     "direction": d, "item": f"m{m}s{s}t{t}{d}", "step": "final",
                                     "score": mean + rng.normal(0, 0.05)})
    return pd.DataFrame(rows)


def test_protocol_decay_recovers_the_protocol_by_turn_slope():
    df = _dialogues()
    noise = df.iloc[:5].assign(step="thought", score=9.0)  # non-final steps are ignored
    single = df.iloc[:4].assign(turn=pd.NA, score=-9.0)  # rows without a turn are ignored
    fit = protocol_decay(pd.concat([df, noise, single], ignore_index=True))
    assert fit.decay.nobs == len(df)
    coef = fit.coefficients.set_index("effect")
    slope, main = coef.loc["protocol x turn"], coef.loc["protocol"]
    assert slope["term"] == "protocol[cot]:turn" and slope["lower"] <= 0.03 <= slope["upper"] and slope["lower"] > 0
    assert slope["estimate"] == pytest.approx(0.03, abs=0.005)
    assert main["lower"] <= 0.05 <= main["upper"]
    assert slope["test"] == "t (Satterthwaite df)"
    assert "protocol[cot]:turn" in fit.decay.formula
    with pytest.raises(GapevalError, match="needs dialogue rows"):
        protocol_decay(df.assign(turn=pd.NA))
    with pytest.raises(GapevalError, match=r"baseline protocol 'plain'"):
        protocol_decay(df, baseline="plain")
    with pytest.raises(GapevalError, match=r"column 'dialogue' \(the session column\)"):
        protocol_decay(df, session="dialogue")
    with pytest.raises(GapevalError, match=r"column 'session' \(session\) is missing in dialogue rows \[0\]"):
        protocol_decay(df.assign(session=[None] + df["session"].tolist()[1:]))


def test_tables_render_the_numbers(fitted):
    table = protocol_effects_table(fitted, label="tab:protocols")
    md, tex = to_markdown(table), to_latex(table)
    e = fitted.effect("cot", "theta_generation")
    for text in (f"{e['estimate']:.2f}", f"{e['lower']:.2f}", f"{e['upper']:.2f}", "3.00", "4.00", "10.00"):
        assert text in md and text in tex, text
    assert POOLED in md and "Calls ×" in md and r"$\times$" in tex and "tab:protocols" in tex
    assert "approximate credible intervals (SVI" in md
    assert len(table.rows) == 12 + 2
    short = protocol_effects_table(fitted, quantities=["gap"], cost=False, pooled=False)
    assert [c.key for c in short.columns] == ["model", "protocol", "gap_estimate", "gap_ci", "gap_p_positive"]
    with pytest.raises(GapevalError, match="quantities"):
        protocol_effects_table(fitted, quantities=["theta"])


def test_decay_table_renders_the_coefficients():
    fit = protocol_decay(_dialogues(seed=1))
    table = protocol_decay_table(fit, correction="holm")
    md, tex = to_markdown(table), to_latex(table)
    slope = fit.coefficients.set_index("effect").loc["protocol x turn"]
    assert f"{slope['estimate']:.3f}" in md and f"{slope['estimate']:.3f}" in tex
    assert r"protocol\[cot\]:turn" in md and "protocol[cot]:turn" in tex
    assert "slower decay" in md and "Holm" in md
    assert table.family_size == 2


def test_forest_plot_draws_every_effect_and_saves(fitted, tmp_path):
    fig = protocol_forest_plot(fitted)
    assert len(fig.axes) == 3
    bars = [c for c in fig.axes[2].containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 12 + 2
    gids = {c[0].get_gid() for c in bars}
    assert f"effect:gap:{POOLED}:cot" in gids and "effect:gap:m00:best-of-n" in gids
    cot = fitted.effect("cot", "gap")
    pooled_bar = next(c for c in bars if c[0].get_gid() == f"effect:gap:{POOLED}:cot")
    x = pooled_bar[0].get_xdata()[0]
    assert x == pytest.approx(cot["estimate"])
    path = save_figure(fig, tmp_path / "protocols.png", dpi=40)
    assert path.stat().st_size > 1000


def test_simulation_shares_items_and_shifts_abilities():
    df, truth = simulate_protocol_responses(3, 10, protocols={"direct": (0, 0), "cot": (0.5, -0.25)}, seed=2)
    assert len(df) == 3 * 2 * 10 * 2 and set(df["step"]) == {"final"}
    np.testing.assert_allclose(truth.theta[:, 1] - truth.theta[:, 0], [[0.5, -0.25]] * 3)
    assert truth.effect("cot", "direct")["gap"].tolist() == pytest.approx([0.75] * 3)
    assert df.groupby(["model", "protocol"])["item"].apply(frozenset).nunique() == 1
    with pytest.raises(GapevalError, match="give two finite numbers"):
        simulate_protocol_responses(2, 3, protocols={"direct": (0, 0), "cot": (1,)})
