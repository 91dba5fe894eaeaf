"""ResponseData: construction, coding and the errors every malformed input gets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import irt
from irt import ResponseData


def _long(**overrides):
    frame = pd.DataFrame({
        "respondent": ["m1", "m1", "m2", "m2", "m3", "m3"],
        "item": ["q1", "q2", "q1", "q2", "q1", "q2"],
        "response": [1, 0, 0, 1, 1, 1],
    })
    for key, value in overrides.items():
        frame[key] = value
    return frame


def test_from_long_codes_ids_sorted_and_keeps_caller_frame():
    frame = _long().iloc[::-1].reset_index(drop=True)
    before = frame.copy()
    data = ResponseData.from_long(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert data.respondent_ids == ("m1", "m2", "m3")
    assert data.item_ids == ("q1", "q2")
    assert data.to_wide().loc["m2", "q2"] == 1
    assert data.num_responses == 6 and data.is_binary
    # Row order does not change the coding.
    again = ResponseData.from_long(_long())
    np.testing.assert_array_equal(again.respondent, data.respondent)
    np.testing.assert_array_equal(again.response, data.response)


def test_from_long_custom_column_names_and_dimension():
    frame = _long().rename(columns={"respondent": "model", "item": "question", "response": "score"})
    frame["dim"] = frame["question"].map({"q1": "U", "q2": "G"})
    data = ResponseData.from_long(frame, respondent="model", item="question", response="score", dimension="dim")
    assert data.dimension_ids == ("G", "U")
    np.testing.assert_array_equal(data.default_q_matrix(), [[0, 1], [1, 0]])


def test_from_long_drops_missing_responses():
    data = ResponseData.from_long(_long(response=[1, 0, 0, 1, np.nan, 0]))
    assert data.num_responses == 5
    assert np.isnan(data.to_wide().loc["m3", "q1"])


def test_from_wide_array_and_frame():
    data = ResponseData.from_wide(np.array([[1, 0, 1], [0, np.nan, 1], [1, 1, 0]]))
    assert data.num_responses == 8
    assert data.item_ids == (0, 1, 2)
    frame = pd.DataFrame([[1, 0], [0, 1]], index=["b", "a"], columns=["z", "y"])
    data = ResponseData.from_wide(frame)
    assert data.respondent_ids == ("b", "a") and data.item_ids == ("z", "y")
    pd.testing.assert_frame_equal(data.to_wide(), frame.astype(float).rename_axis(index="respondent", columns="item"))


def test_from_patterns_expands_counts_and_keeps_pattern_index():
    data = ResponseData.from_patterns([[0, 0], [1, 0], [1, 1], [0, 1]], [2, 3, 0, 1])
    assert data.num_respondents == 6
    np.testing.assert_array_equal(data.pattern, [0, 0, 1, 1, 1, 3])


def test_graded_categories_counted_per_item():
    data = ResponseData.from_wide(np.array([[0, 2], [1, 0], [1, 1]]))
    np.testing.assert_array_equal(data.num_categories, [2, 3])
    assert not data.is_binary


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (_long(response=[1, "yes", 0, 1, "n/a", 1]), r"column 'response' has non-numeric values \['yes', 'n/a'\] in rows \[1, 4\]"),
        (_long(response=[1, np.inf, 0, 1, 1, 0]), r"infinite values \[inf\] in rows \[1\]"),
        (_long(response=[1, 0.5, 0, 1, 1, 0]), r"non-integer values \[0.5\] in rows \[1\]"),
        (_long(response=[1, -1, 0, 1, 1, 0]), r"negative values"),
        (_long(response=[1, 1, 1, 1, 1, 0]), r"item\(s\) \['q1'\] have a single observed response category"),
        (_long(respondent=["m1", None, "m2", "m2", "m3", "m3"]), r"column 'respondent' has missing ids in rows \[1\]"),
        (_long(item=["q1", "q1", "q1", "q2", "q1", "q2"]), r"duplicated \(respondent, item\) rows \[\('m1', 'q1'\)\]"),
        (_long().iloc[:0], r"no responses: the table is empty"),
        (_long(response=[np.nan] * 6), r"every value of column 'response' is missing"),
    ],
)
def test_from_long_rejects_malformed_input(frame, match):
    with pytest.raises(ValueError, match=match):
        ResponseData.from_long(frame)


def test_from_long_missing_column_lists_available():
    with pytest.raises(ValueError, match=r"column\(s\) \['score'\] not in the table; it has columns"):
        ResponseData.from_long(_long(), response="score")


def test_from_long_dimension_must_be_constant_within_item():
    frame = _long(dim=["U", "G", "G", "G", "U", "G"])
    with pytest.raises(ValueError, match="item 'q1' is assigned to several dimensions"):
        ResponseData.from_long(frame, dimension="dim")


def test_from_wide_rejects_empty_rows_and_bad_shapes():
    with pytest.raises(ValueError, match=r"respondent\(s\) \[1\] have no responses"):
        ResponseData.from_wide(np.array([[1, 0], [np.nan, np.nan], [0, 1]]))
    with pytest.raises(ValueError, match="must be 2-D"):
        ResponseData.from_wide(np.array([1, 0, 1]))
    with pytest.raises(ValueError, match="the matrix is empty"):
        ResponseData.from_wide(np.empty((0, 0)))


def test_from_patterns_rejects_mismatched_counts():
    with pytest.raises(ValueError, match=r"counts has shape \(2,\) but there are 3 patterns"):
        ResponseData.from_patterns([[0, 1], [1, 0], [1, 1]], [1, 2])
    with pytest.raises(ValueError, match="counts must be non-negative integers"):
        ResponseData.from_patterns([[0, 1], [1, 0]], [1, -2])
    with pytest.raises(ValueError, match="every pattern count is zero"):
        ResponseData.from_patterns([[0, 1], [1, 0]], [0, 0])


def test_vectorised_wide_path_equals_the_general_path(monkeypatch):
    from irt import data as data_module

    rng = np.random.default_rng(5)
    matrix = (rng.uniform(size=(30, 12)) < 0.5).astype(float)
    matrix[rng.uniform(size=matrix.shape) < 0.1] = np.nan
    matrix[:, 3] = np.where(np.isnan(matrix[:, 3]), np.nan, rng.integers(0, 3, size=30))  # an ordinal item
    matrix[0, 3], matrix[1, 3] = 0, 2
    frame = pd.DataFrame(matrix, index=[f"r{k}" for k in range(30)], columns=[f"q{k}" for k in range(12)])
    dims = ["U", "G"] * 6
    fast = irt.ResponseData.from_wide(frame, dimension=dims)
    monkeypatch.setattr(data_module, "_from_numeric_wide", lambda *args: None)
    general = irt.ResponseData.from_wide(frame, dimension=dims)
    for name in ("respondent", "item", "response", "item_dimension"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(general, name))
    assert (fast.respondent_ids, fast.item_ids, fast.dimension_ids) == \
        (general.respondent_ids, general.item_ids, general.dimension_ids)
    assert fast.dimension_ids == ("G", "U") and fast.num_responses == int((~np.isnan(matrix)).sum())


def test_numeric_matrix_with_a_bad_value_still_gets_the_named_error():
    matrix = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, np.inf], [1.0, 1.0, 0.0]])
    with pytest.raises(ValueError, match="infinite values"):
        irt.ResponseData.from_wide(matrix)
