"""Joint tables p11/p10/p01/p00 and cross-modal consistency (gapeval.gap.joint)."""

from __future__ import annotations

import doctest
import importlib
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from gapeval.errors import GapevalError
from gapeval.gap.joint import JOINT_COLUMNS, jeffreys_interval, joint_table


def _long(cells: dict[tuple[str, str], list[tuple[int, int]]]) -> pd.DataFrame:
    """Long table from {(model, category): [(u, g), ...]}; pair ids are shared across models."""
    rows = []
    for (model, category), answers in cells.items():
        for k, (u, g) in enumerate(answers):
            pair = f"{category}-{k}"
            rows.append((model, f"{pair}-u", pair, category, "understanding", u))
            rows.append((model, f"{pair}-g", pair, category, "generation", g))
    return pd.DataFrame(rows, columns=["model", "item", "pair", "category", "direction", "score"])


@pytest.fixture
def responses() -> pd.DataFrame:
    df = _long({
        ("m1", "color"): [(1, 1)] * 3 + [(1, 0)] * 4 + [(0, 1)] + [(0, 0)] * 2,
        ("m1", "count"): [(1, 1), (0, 0), (0, 1), (1, 0)],
        ("m2", "color"): [(0, 0)] * 10,
    })
    # m2 answered one more color question in the understanding direction only
    extra = pd.DataFrame([("m2", "color-10-u", "color-10", "color", "understanding", 1)],
                         columns=df.columns)
    return pd.concat([df, extra], ignore_index=True)


def test_hand_counted_table(responses):
    table = joint_table(responses)
    assert list(table.columns) == ["model", "category", *JOINT_COLUMNS]
    assert table[["model", "category"]].values.tolist() == [
        ["m1", "color"], ["m1", "count"], ["m2", "color"]]
    first = table.iloc[0]
    assert first["n_pairs"] == 10
    assert first[["p11", "p10", "p01", "p00"]].tolist() == pytest.approx([0.3, 0.4, 0.1, 0.2])
    assert first["p_understanding"] == pytest.approx(0.7)
    assert first["p_generation"] == pytest.approx(0.4)
    assert first["n_either"] == 8
    assert first["consistency"] == pytest.approx(3 / 8)
    lower, upper = proportion_confint(3, 8, alpha=0.05, method="jeffreys")
    assert (first["consistency_lower"], first["consistency_upper"]) == pytest.approx(
        (lower, upper), abs=1e-10)
    assert table.iloc[1][["p11", "p10", "p01", "p00"]].tolist() == pytest.approx([0.25] * 4)
    m2 = table.iloc[2]
    assert (m2["n_pairs"], m2["n_incomplete"], m2["n_either"]) == (10, 1, 0)
    assert m2["p00"] == 1.0
    assert np.isnan(m2["consistency"]) and np.isnan(m2["consistency_lower"])
    assert table["n_incomplete"].tolist() == [0, 0, 1]
    assert table.attrs == {"level": 0.95, "interval": "jeffreys", "threshold": None,
                           "by": "category"}


def test_matches_a_brute_force_count_on_random_data():
    rng = np.random.default_rng(7)
    cells = {(m, c): [tuple(rng.integers(0, 2, 2)) for _ in range(rng.integers(1, 30))]
             for m in ("a", "b", "c") for c in ("x", "y")}
    table = joint_table(_long(cells), level=0.9).set_index(["model", "category"])
    for key, answers in cells.items():
        counts = {cell: sum((u, g) == cell for u, g in answers) for cell in
                  [(1, 1), (1, 0), (0, 1), (0, 0)]}
        row = table.loc[key]
        assert row["n_pairs"] == len(answers)
        assert row[["p11", "p10", "p01", "p00"]].tolist() == pytest.approx(
            [n / len(answers) for n in counts.values()])
        either = len(answers) - counts[(0, 0)]
        assert row["n_either"] == either
        if 0 < counts[(1, 1)] < either:
            expected = proportion_confint(counts[(1, 1)], either, alpha=0.1, method="jeffreys")
            assert (row["consistency_lower"], row["consistency_upper"]) == pytest.approx(expected)


def test_by_none_pools_the_categories(responses):
    pooled = joint_table(responses, by=None)
    assert "category" not in pooled.columns
    m1 = pooled.iloc[0]
    assert m1["n_pairs"] == 14
    assert m1[["p11", "p10", "p01", "p00"]].tolist() == pytest.approx(
        [4 / 14, 5 / 14, 2 / 14, 3 / 14])


def test_custom_column_names_are_used_in_and_out(responses):
    renamed = responses.rename(columns={"model": "who", "item": "id", "pair": "question",
                                        "category": "topic", "direction": "dir", "score": "ok"})
    table = joint_table(renamed, by="topic", model="who", item="id", pair="question",
                        direction="dir", score="ok")
    expected = joint_table(responses).rename(columns={"model": "who", "category": "topic"})
    pd.testing.assert_frame_equal(table, expected, check_like=False, check_exact=True)


def test_fractions_need_a_threshold(responses):
    fractional = responses.assign(score=responses["score"] * 0.8 + 0.1)  # 1 -> 0.9, 0 -> 0.1
    with pytest.raises(GapevalError, match=r"fractional values \[0.1, 0.9\].*threshold=t"):
        joint_table(fractional)
    thresholded = joint_table(fractional, threshold=0.5)
    plain = joint_table(responses)
    assert thresholded.attrs["threshold"] == 0.5
    assert thresholded[list(JOINT_COLUMNS)].equals(plain[list(JOINT_COLUMNS)])


def test_bad_input_errors(responses):
    with pytest.raises(GapevalError, match=r"column 'topic' \(the by column\) is not in the "
                       r"responses table; it has columns \['model', 'item', 'pair', 'category', "
                       r"'direction', 'score'\]; pass by='<name>'"):
        joint_table(responses, by="topic")
    with pytest.raises(GapevalError, match=r"the direction must be one of"):
        joint_table(responses.assign(direction="text"))
    with pytest.raises(GapevalError, match=r"outside \[0, 1\]"):
        joint_table(responses.assign(score=responses["score"] * 5))
    with pytest.raises(GapevalError, match=r"the responses table is empty"):
        joint_table(responses.iloc[:0])
    with pytest.raises(GapevalError, match=r"repeat a \('model', 'item'\) pair"):
        joint_table(pd.concat([responses, responses.iloc[[0]]]))
    with pytest.raises(GapevalError, match=r"no model answered both forms of any pair"):
        joint_table(responses[responses["direction"] == "understanding"])
    with pytest.raises(GapevalError, match=r"no row has a 'pair' value"):
        joint_table(responses.assign(pair=None))
    with pytest.raises(GapevalError, match=r"level=1.5 must lie strictly between 0 and 1"):
        joint_table(responses, level=1.5)


def test_pair_structure_errors(responses):
    two_u = responses.copy()
    two_u.loc[two_u["item"] == "color-1-u", "pair"] = "color-0"
    with pytest.raises(GapevalError, match=r"pair 'color-0' \(column 'pair'\) has 2 understanding "
                       r"items \['color-0-u', 'color-1-u'\]; a pair links one understanding form "
                       r"with one generation form"):
        joint_table(two_u)
    split = responses.copy()
    split.loc[split["item"] == "color-0-g", "category"] = "count"
    with pytest.raises(GapevalError, match=r"pair 'color-0' has items in different 'category' "
                       r"groups \('color', 'count'\)"):
        joint_table(split)
    missing = responses.copy()
    missing.loc[0, "category"] = None
    with pytest.raises(GapevalError, match=r"column 'category' is missing in rows \[0\]"):
        joint_table(missing)


def test_jeffreys_interval_edges():
    lower, upper = jeffreys_interval([0, 5, 3, 0], [5, 5, 10, 0], level=0.9)
    assert lower[0] == 0.0 and upper[1] == 1.0
    assert np.isnan(lower[3]) and np.isnan(upper[3])
    assert (lower[2], upper[2]) == pytest.approx(
        proportion_confint(3, 10, alpha=0.1, method="jeffreys"))
    assert upper[0] == pytest.approx(proportion_confint(0, 5, alpha=0.1, method="jeffreys")[1])


@pytest.mark.parametrize("name", ["gapeval.responses", "gapeval.gap.joint"])
def test_docstring_examples_run(name):
    outcome = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert outcome.attempted > 0 and outcome.failed == 0
