"""decay() refuses malformed responses tables with messages that name the problem and the fix."""

from __future__ import annotations

import pandas as pd
import pytest

from gapeval.decay import DecayError, decay, simulate_decay
from gapeval.errors import GapevalError


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    return simulate_decay(num_models=3, num_sessions=3, num_turns=3, seed=0)[0]


def test_error_class_is_a_value_error():
    assert issubclass(DecayError, GapevalError) and issubclass(DecayError, ValueError)


def test_missing_column(responses):
    with pytest.raises(DecayError, match=r"column 'turn_index' \(the turn column\) is not in the responses table.* pass turn='<name>'"):
        decay(responses, turn="turn_index")


def test_single_turn(responses):
    with pytest.raises(DecayError, match=r"column 'turn' has a single value 2; decay needs responses at two"):
        decay(responses[responses.turn == 2])


def test_one_direction_only(responses):
    with pytest.raises(DecayError, match=r"holds only 'generation'; the direction x turn model needs both"):
        decay(responses[responses.direction == "generation"])


def test_unknown_direction_labels(responses):
    bad = responses.replace({"direction": {"understanding": "U"}})
    with pytest.raises(DecayError, match=r"column 'direction' has values 'U' in rows \[0, 2, 4, 6, 8\]; the direction must be one of"):
        decay(bad)


def test_single_model(responses):
    with pytest.raises(DecayError, match=r"holds one model \('model_0'\); random model slopes need"):
        decay(responses[responses.model == "model_0"])


def test_non_numeric_scores(responses):
    bad = responses.astype({"score": object})
    bad.loc[[1, 4], "score"] = ["yes", "n/a"]
    with pytest.raises(DecayError, match=r"column 'score' has non-numeric values "
                                         r"\['yes', 'n/a'\] in rows \[1, 4\]"):
        decay(bad)


def test_binomial_needs_binary_scores(responses):
    with pytest.raises(DecayError, match=r"family='binomial' needs 0/1 scores but column 'score' has"):
        decay(responses, family="binomial")


def test_unknown_options(responses):
    with pytest.raises(DecayError, match=r"family='poisson' is not one of \['auto', 'gaussian', 'binomial'\]"):
        decay(responses, family="poisson")
    with pytest.raises(DecayError, match=r"random_slopes='none' is not one of"):
        decay(responses, random_slopes="none")
    with pytest.raises(DecayError, match=r"binomial_method='pql' is not one of \['laplace', 'nuts', 'vb'\]"):
        decay(responses, binomial_method="pql")
    with pytest.raises(DecayError, match=r"structure='random' is not one of \['auto', 'nested', 'crossed'\]"):
        decay(responses, structure="random")
    with pytest.raises(DecayError, match=r"level=95 is not in \(0, 1\)"):
        decay(responses, level=95)


def test_one_row_per_session(responses):
    unique = responses.assign(session=[f"s{i}" for i in range(len(responses))])
    with pytest.raises(DecayError, match=r"every 'session' value holds a single row, .* pass session=None"):
        decay(unique)


def test_missing_session_ids(responses):
    bad = responses.astype({"session": object})
    bad.loc[[2, 5], "session"] = None
    with pytest.raises(DecayError, match=r"column 'session' \(session\) has missing values in rows \[2, 5\]"):
        decay(bad)


def test_covariate_problems(responses):
    with pytest.raises(DecayError, match=r"column 'ctx' \(the covariates column\) is not in the responses table"):
        decay(responses, covariates=["ctx"])
    with pytest.raises(DecayError, match=r"covariate 'mode' has a single value 'self'; drop it"):
        decay(responses.assign(mode="self"), covariates=["mode"])
    with pytest.raises(DecayError, match=r"covariate 'ctx' has missing values in rows \[0\]"):
        decay(responses.assign(ctx=[None] + [1.0] * (len(responses) - 1)), covariates=["ctx"])


def test_not_a_frame():
    with pytest.raises(DecayError, match=r"responses must be a pandas DataFrame, got list"):
        decay([1, 2, 3])


def test_simulate_decay_arguments():
    with pytest.raises(DecayError, match=r"family='beta' is not one of"):
        simulate_decay(family="beta")
    with pytest.raises(DecayError, match=r"need num_models >= 2"):
        simulate_decay(num_models=1)
