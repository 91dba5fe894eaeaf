"""Checks of the long responses table (gapeval.responses.standardize_responses)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapeval.errors import GapevalError
from gapeval.responses import DIRECTIONS, standardize_responses


def _table(**overrides) -> pd.DataFrame:
    data = {
        "model": ["m1", "m1", "m2", "m2"],
        "item": ["q1u", "q1g", "q1u", "q1g"],
        "direction": ["understanding", "generation"] * 2,
        "score": [1, 0, 1, 1],
        "pair": ["q1"] * 4,
        "category": ["color"] * 4,
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_renames_columns_keeps_index_and_leaves_the_input_alone():
    df = _table().rename(columns={"model": "who", "score": "correct"})
    df.index = [10, 11, 12, 13]
    before = df.copy()
    out = standardize_responses(df, model="who", score="correct", pair="pair",
                                extra={"by": "category"})
    assert list(out.columns) == ["model", "item", "direction", "score", "pair", "category"]
    assert list(out.index) == [10, 11, 12, 13]
    assert out["model"].tolist() == ["m1", "m1", "m2", "m2"]
    assert out["score"].tolist() == [1, 0, 1, 1]
    pd.testing.assert_frame_equal(df, before)
    assert DIRECTIONS == ("understanding", "generation")


def test_missing_column_is_named_with_the_columns_that_exist():
    with pytest.raises(GapevalError, match=r"column 'correct' \(the score column\) is not in the "
                       r"responses table; it has columns \['model', 'item', 'direction', 'score', "
                       r"'pair', 'category'\]; pass score='<name>'"):
        standardize_responses(_table(), score="correct")
    with pytest.raises(GapevalError, match=r"column 'topic' \(the by column\).*pass by='<name>'"):
        standardize_responses(_table(), extra={"by": "topic"})


def test_unknown_direction_is_refused_with_its_rows():
    df = _table(direction=["understanding", "Generation", "understanding", "image"])
    with pytest.raises(GapevalError, match=r"column 'direction' has values 'Generation', 'image' "
                       r"in rows \[1, 3\]; the direction must be one of \['understanding', "
                       r"'generation'\]"):
        standardize_responses(df)


@pytest.mark.parametrize(
    ("scores", "kind", "message"),
    [
        ([1, 0, 1.5, 1], "unit", r"values \[1.5\] outside \[0, 1\] in rows \[2\]"),
        ([1, -0.2, 1, 1], "binary", r"values \[-0.2\] outside \[0, 1\] in rows \[1\]"),
        ([1, 0, 0.5, 1], "binary", r"fractional values \[0.5\] in rows \[2\].*threshold=t"),
        ([1, "yes", 1, 1], "unit", r"non-numeric values \['yes'\] in rows \[1\]"),
        ([1, np.nan, 1, 1], "unit", r"missing in rows \[1\]; a missing answer is an absent row"),
        ([1, np.inf, 1, 1], "unit", r"infinite values in rows \[1\]"),
        ([1, 2.5, 3, 0], "graded", r"values \[2.5\] in rows \[1\]; graded scores must be integer"),
    ],
)
def test_bad_scores_are_refused(scores, kind, message):
    with pytest.raises(GapevalError, match=message):
        standardize_responses(_table(score=scores), scores=kind)


def test_threshold_binarises_fractions_and_graded_keeps_integers():
    out = standardize_responses(_table(score=[0.2, 0.5, 0.49, 1.0]), threshold=0.5)
    assert out["score"].tolist() == [0, 1, 0, 1]
    graded = standardize_responses(_table(score=[0, 5, 3, 2]), scores="graded")
    assert graded["score"].tolist() == [0, 5, 3, 2]
    unit = standardize_responses(_table(score=[0.25, 0.5, 1, 0]))
    assert unit["score"].tolist() == [0.25, 0.5, 1.0, 0.0]
    with pytest.raises(GapevalError, match=r"threshold=0 must lie in \(0, 1\]"):
        standardize_responses(_table(), threshold=0)


def test_duplicate_model_item_rows_are_refused():
    df = pd.concat([_table(), _table().iloc[[2]]])
    with pytest.raises(GapevalError, match=r"2 rows repeat a \('model', 'item'\) pair, e.g. "
                       r"\('m2', 'q1u'\) in rows \[2, 2\]; keep one answer per model and item"):
        standardize_responses(df)


def test_an_item_must_keep_its_direction_and_pair():
    df = _table(direction=["understanding", "generation", "generation", "generation"])
    with pytest.raises(GapevalError, match=r"item 'q1u' has 2 different values in column "
                       r"'direction'"):
        standardize_responses(df)
    df = _table(pair=["q1", "q1", "q2", "q1"])
    with pytest.raises(GapevalError, match=r"item 'q1u' has 2 different values in column 'pair'"):
        standardize_responses(df, pair="pair")


def test_empty_table_and_non_frames_are_refused():
    with pytest.raises(GapevalError, match="the responses table is empty"):
        standardize_responses(_table().iloc[:0])
    with pytest.raises(GapevalError, match="must be a pandas DataFrame .* got dict"):
        standardize_responses({"model": ["m"]})
    with pytest.raises(GapevalError, match=r"column 'model' is missing in rows \[0\]"):
        standardize_responses(_table(model=[None, "m1", "m2", "m2"]))
