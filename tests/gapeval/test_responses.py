"""The long table's owner: vocabulary, slots, the gap's sign and the one validator."""

import numpy as np
import pandas as pd
import pytest

from gapeval import responses as rt
from gapeval.errors import GapevalError


class _OtherError(GapevalError):
    pass


def _frame(**over):
    base = {"m": ["a", "a", "b", "b"], "i": ["q1u", "q1g", "q1u", "q1g"],
            "d": ["understanding", "generation"] * 2, "s": [1, 0, 0.5, 1], "p": ["q1"] * 4}
    base.update(over)
    return pd.DataFrame(base)


def test_slots_follow_the_vocabulary():
    assert rt.DIRECTIONS[rt.UNDERSTANDING_SLOT] == rt.UNDERSTANDING == "understanding"
    assert rt.DIRECTIONS[rt.GENERATION_SLOT] == rt.GENERATION == "generation"
    assert rt.direction_slots(["understanding", "generation", "generation"]).tolist() == [0, 1, 1]
    with pytest.raises(GapevalError, match="'image'"):
        rt.direction_slots(["image"])


def test_gap_is_understanding_minus_generation():
    theta = np.array([[[2.0, 0.5], [-1.0, 1.0]]])
    assert rt.form_gap(theta).tolist() == [[1.5, -2.0]]
    assert rt.form_gap(theta[..., ::-1]).tolist() == [[-1.5, 2.0]]   # swapping U/G negates the gap
    assert rt.direction_contrast(0.25, 1.0) == -0.75
    with pytest.raises(ValueError, match="length 2"):
        rt.form_gap(np.zeros((3, 3)))


def test_validator_renames_and_keeps_the_callers_frame():
    df = _frame()
    before = df.copy()
    out = rt.standardize_responses(df, model="m", item="i", direction="d", score="s", pair="p")
    pd.testing.assert_frame_equal(df, before)
    assert list(out.columns) == ["model", "item", "direction", "score", "pair"]
    assert out["score"].tolist() == [1, 0, 0.5, 1]


def test_validator_turns_and_sessions():
    df = _frame(t=[1, 2, None, 3], sess=["x", "x", None, "y"])
    out = rt.standardize_responses(df, model="m", item="i", direction="d", score="s", session="sess", turn="t")
    assert list(out.columns) == ["model", "item", "direction", "score", "session", "turn"]
    assert np.isnan(out["turn"].iloc[2]) and out["turn"].iloc[3] == 3.0
    with pytest.raises(GapevalError, match=r"column 't' \(turn\) has values \[0\] below 1 in rows \[1\]"):
        rt.standardize_responses(_frame(t=[1, 0, 1, 1]), model="m", item="i", direction="d", score="s", turn="t")
    with pytest.raises(GapevalError, match=r"non-numeric values \['late'\]"):
        rt.standardize_responses(_frame(t=[1, "late", 1, 1]), model="m", item="i", direction="d", score="s",
                                 turn="t")


@pytest.mark.parametrize("change, message", [
    ({"d": ["understanding", "image", "understanding", "generation"]}, r"column 'd' has values 'image' in rows \[1\]"),
    ({"s": [1, "yes", 0, 1]}, r"non-numeric values \['yes'\] in rows \[1\]"),
    ({"s": [1, 2, 0, 1]}, r"values \[2.0\] outside \[0, 1\] in rows \[1\]"),
    ({"s": [1, None, 0, 1]}, r"missing in rows \[1\]; a missing answer is an absent row"),
    ({"i": ["q1u", "q1u", "q1u", "q1g"]}, r"rows repeat a \('m', 'i'\) pair"),
    ({"m": ["a", None, "b", "b"]}, r"column 'm' is missing in rows \[1\]; every answer needs a model id"),
])
def test_validator_names_the_problem(change, message):
    with pytest.raises(_OtherError, match=message):
        rt.standardize_responses(_frame(**change), model="m", item="i", direction="d", score="s", error=_OtherError)


def test_validator_missing_column_names_the_keyword():
    with pytest.raises(GapevalError, match=r"column 'turn' \(the turn column\) is not in the responses table.*turn='<name>'"):
        rt.standardize_responses(_frame(), model="m", item="i", direction="d", score="s", turn="turn")


def test_repeats_allowed_when_asked_but_items_keep_their_direction():
    df = _frame(i=["q1u", "q1u", "q1u", "q1g"], d=["understanding"] * 3 + ["generation"])
    out = rt.standardize_responses(df, model="m", item="i", direction="d", score="s", unique=False)
    assert len(out) == 4
    clash = _frame(i=["q1u", "q1u", "q2", "q3"])
    with pytest.raises(GapevalError, match=r"item 'q1u' has 2 different values in column 'd'"):
        rt.standardize_responses(clash, model="m", item="i", direction="d", score="s", unique=False)


def test_binary_and_threshold():
    df = _frame(s=[1, 0, 0.5, 1])
    with pytest.raises(GapevalError, match="fractional values"):
        rt.standardize_responses(df, model="m", item="i", direction="d", score="s", scores="binary")
    out = rt.standardize_responses(df, model="m", item="i", direction="d", score="s", threshold=0.5)
    assert out["score"].tolist() == [1, 0, 1, 1]


def test_store_export_order_is_the_tables():
    from gapeval.store.frame import COLUMNS
    assert tuple(COLUMNS) == rt.TABLE_COLUMNS
