"""Malformed input to the public functions of :mod:`irt` raises :class:`irt.IRTError` naming what is wrong.

Each case asserts the exact class (never a raw ``TypeError``, ``KeyError``, ``LinAlgError`` or
numpy's ``AssertionError``) and the words of the message that name the value, column or option.
No case fits a model: every check happens before anything is compiled, so the file runs in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import irt
from irt import IRTError, NUTSOptions, ResponseData, SVIOptions

GOOD_LONG = pd.DataFrame({"respondent": [1, 1, 2, 2], "item": ["a", "b", "a", "b"], "response": [0, 1, 1, 0]})


def long_with(**columns) -> pd.DataFrame:
    return GOOD_LONG.assign(**columns)


def tiny() -> ResponseData:
    return ResponseData.from_wide(np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0], [0, 0, 1]]))


LONG_CASES = [
    ([[0, 1]], "from_long expects a pandas DataFrame"),
    (GOOD_LONG.drop(columns="item"), r"column\(s\) \['item'\] not in the table"),
    (GOOD_LONG.iloc[:0], "no responses: the table is empty"),
    (long_with(respondent=[1, None, 2, 2]), "column 'respondent' has missing ids in rows \\[1\\]"),
    (long_with(response=[0, "yes", 1, 0]), "non-numeric values \\['yes'\\] in rows \\[1\\]"),
    (long_with(response=[0, np.inf, 1, 0]), "infinite values"),
    (long_with(response=[0, -1, 1, 0]), "negative values \\[-1.0\\]"),
    (long_with(response=[0, 0.5, 1, 0]), "non-integer values \\[0.5\\]"),
    (long_with(item=["a", "a", "a", "b"]), "duplicated \\(respondent, item\\) rows"),
    (long_with(response=[1, 1, 1, 0]), "item\\(s\\) \\['a'\\] have a single observed response category"),
    (long_with(response=[0, {"x": 1}, 1, 0]), "not real numbers \\[\\{'x': 1\\}\\] in rows \\[1\\]"),
    (long_with(response=[0, 1 + 2j, 1, 0]), "not real numbers \\[\\(1\\+2j\\)\\] in rows \\[1\\]"),
    (long_with(response=[0, [1], 1, 0]), "not real numbers \\[\\[1\\]\\]"),
    (long_with(respondent=[[1], 1, 2, 2]), "column 'respondent' holds list values in rows \\[0\\]"),
    (long_with(item=[{"a": 1}, "b", "a", "b"]), "column 'item' holds dict values in rows \\[0\\]"),
    (long_with(response=[np.nan] * 4), "every value of column 'response' is missing"),
]


@pytest.mark.parametrize(("frame", "message"), LONG_CASES)
def test_from_long_names_the_problem(frame, message):
    with pytest.raises(IRTError, match=message):
        ResponseData.from_long(frame)


def test_from_long_names_a_dict_in_the_dimension_column():
    with pytest.raises(IRTError, match="column 'dimension' holds set values in rows \\[2\\]"):
        ResponseData.from_long(long_with(dimension=["x", "y", {"x"}, "y"]), dimension="dimension")


WIDE_CASES = [
    (np.empty((0, 3)), "no responses: the matrix is empty"),
    (pd.DataFrame([[0, 1], [1, 0]], columns=["a", "a"]), "duplicated item columns \\['a'\\]"),
    (pd.DataFrame([[0, 1], [1, 0]], index=["r", "r"]), "duplicated respondent rows \\['r'\\]"),
    (np.array([[0, 1], [np.nan, np.nan], [1, 0]]), "respondent\\(s\\) \\[1\\] have no responses"),
    (np.array([[1 + 1j, 0], [0, 1]]), "complex numbers"),
    (pd.DataFrame({"a": [1 + 1j, 0j], "b": [0, 1]}), "not real numbers"),
    ([["x", 0], [0, 1]], "the response matrix must be numeric"),
    (np.zeros((2, 2, 2)), "must be 2-D"),
    (None, "must be 2-D"),
    (np.array([[0, 2.5], [1, 0]]), "non-integer values \\[2.5\\]"),
]


@pytest.mark.parametrize(("matrix", "message"), WIDE_CASES)
def test_from_wide_names_the_problem(matrix, message):
    with pytest.raises(IRTError, match=message):
        ResponseData.from_wide(matrix)


@pytest.mark.parametrize(("counts", "message"), [
    ([1], "counts has shape \\(1,\\) but there are 2 patterns"),
    (["a", "b"], "counts must be numbers"),
    ([1, -2], "non-negative integers; rows \\[1\\]"),
    ([0, 0], "every pattern count is zero"),
    ([1.5, 2], "non-negative integers; rows \\[0\\]"),
])
def test_from_patterns_names_bad_counts(counts, message):
    with pytest.raises(IRTError, match=message):
        ResponseData.from_patterns([[0, 1], [1, 0]], counts)


FIT_CASES = [
    (dict(model="4pl"), "unknown model '4pl'; choose one of"),
    (dict(method="bayes"), "unknown method 'bayes'; choose one of"),
    (dict(method="mml", quadpts=21), "unknown option\\(s\\) \\['quadpts'\\] for method 'mml'"),
    (dict(method="mml", seed="abc"), "seed='abc' must be a non-negative integer"),
    (dict(method="mml", seed=-1), "seed=-1 must be a non-negative integer"),
    (dict(method="mml", seed=1.5), "seed=1.5 must be a non-negative integer"),
    (dict(method="mml", num_quadrature="x"), "num_quadrature='x' must be a positive integer"),
    (dict(method="mml", max_iterations=0), "max_iterations=0 must be an integer >= 1"),
    (dict(method="mml", tolerance=-1e-9), "tolerance=-1e-09 must be a positive number"),
    (dict(method="mml", newton_steps=1.5), "newton_steps=1.5 must be an integer >= 0"),
    (dict(method="mml", standard_errors="yes"), "standard_errors='yes' must be True or False"),
    (dict(method="mml", guess_prior=(5, 17)), "guess_prior applies to the 3pl model only"),
    (dict(method="mml", guess_prior="5,17"), "guess_prior='5,17' must be a pair"),
    (dict(method="svi", num_steps=0), "num_steps=0 must be a positive integer"),
    (dict(method="nuts", num_chains="2"), "num_chains='2' must be a positive integer"),
    (dict(q_matrix=[[1], [1]]), "the Q-matrix has shape \\(2, 1\\) but the data have 3 items"),
    (dict(q_matrix=[[1, 0], [2, 0], [0, 1]]), "the Q-matrix must hold only 0 and 1, found \\[2.0\\]"),
    (dict(q_matrix=[[1, 0], [0, 0], [0, 1]]), "items \\[1\\] load on no dimension"),
    (dict(model="rasch", q_matrix=[[1, 0], [1, 0], [0, 1]]), "model 'rasch' has no multidimensional form"),
]


@pytest.mark.parametrize(("kwargs", "message"), FIT_CASES)
def test_fit_names_bad_arguments(kwargs, message):
    kwargs = {"model": "2pl", **kwargs}
    with pytest.raises(IRTError, match=message):
        irt.fit(tiny(), **kwargs)


def test_fit_refuses_a_table_and_binary_models_refuse_categories():
    with pytest.raises(IRTError, match="data must be an irt.ResponseData \\(got DataFrame\\)"):
        irt.fit(GOOD_LONG, "2pl")
    graded = ResponseData.from_wide(np.array([[0, 2], [1, 0], [2, 1]]))
    with pytest.raises(IRTError, match="model '3pl' needs 0/1 responses but the data have categories \\[0, 1, 2\\]"):
        irt.fit(graded, "3pl", method="mml")


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(model="xpl"), "unknown model 'xpl'"),
    (dict(num_respondents=0), "num_respondents=0 must be a positive integer"),
    (dict(num_items="5"), "num_items='5' must be a positive integer"),
    (dict(seed="abc"), "seed='abc' must be a non-negative integer"),
    (dict(correlation=2.0, q_matrix=[[1, 0], [0, 1]]), "correlation=2.0 must be a number strictly between -1 and 1"),
    (dict(correlation=-0.9, q_matrix=np.eye(3, dtype=int)), "gives no valid correlation matrix for 3 dimensions"),
])
def test_simulate_names_bad_arguments(kwargs, message):
    kwargs = {"model": "2pl", "num_respondents": 10, "num_items": 3, **kwargs}
    if "q_matrix" in kwargs:
        kwargs["num_items"] = len(kwargs["q_matrix"])
    with pytest.raises(IRTError, match=message):
        irt.simulate(**kwargs)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: NUTSOptions(num_chains=0), "num_chains=0 must be a positive integer"),
    (lambda: NUTSOptions(target_accept_prob=1.5), "target_accept_prob=1.5 must lie strictly between 0 and 1"),
    (lambda: NUTSOptions(chain_method="threads"), "chain_method='threads' is not one of"),
    (lambda: NUTSOptions(num_warmup=float("nan")), "num_warmup=nan must be"),
    (lambda: SVIOptions(guide="flow"), "guide='flow' is not one of"),
    (lambda: SVIOptions(learning_rate=0), "learning_rate=0 must be a positive number"),
    (lambda: SVIOptions(num_draws=1), "num_draws=1 must be at least 2"),
])
def test_option_records_name_bad_values(make, message):
    with pytest.raises(IRTError, match=message):
        make()


def test_compare_needs_two_fits_of_the_right_kind():
    with pytest.raises(IRTError, match="compare needs at least two fits"):
        irt.compare([object()])
    with pytest.raises(IRTError, match="'a' is not a fit result \\(got object\\)"):
        irt.compare({"a": object(), "b": "fit"})


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.floats(allow_nan=False).filter(lambda v: not np.isfinite(v) or v < 0 or v % 1 != 0),
                          st.text(min_size=1).filter(lambda t: not _is_number(t))), min_size=1, max_size=3))
def test_any_response_that_is_not_a_category_is_named(bad):
    responses = [0, 1] * 3 + list(bad)
    frame = pd.DataFrame({"respondent": range(len(responses)), "item": "i", "response": responses})
    with pytest.raises(IRTError, match="column 'response' has"):
        ResponseData.from_long(frame)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
