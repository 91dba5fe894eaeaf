"""Scores live apart from answers; the long responses table export."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from storekit import image_result, request, text_result

from gapeval.errors import GapevalError
from gapeval.records import TurnResult
from gapeval.store import COLUMNS, AnswerKey, ScoreConflictError, Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "run") as opened:
        q1, q2, g1 = request("q1"), request("q2", sample=1), request("g1", image=True)
        t2 = request("d1-t2", session="d1", turn=2)
        refused = request("q3")
        opened.put(q2, text_result(q2, "C"))
        opened.put(q1, text_result(q1, "B"))
        opened.put(g1, image_result(g1))
        opened.put(t2, text_result(t2, "D", usage={"input_tokens": 300}))
        opened.put(refused, TurnResult(request_id=refused.request_id, status="refused", error="no"))
        failing = request("q4")
        opened.put(failing, TurnResult.failure(failing, "first"))
        opened.put(failing, TurnResult.failure(failing, "second"))
        yield opened


def key(unit, turn=None, sample=0):
    return AnswerKey(model="mock", unit=unit, turn=turn, sample=sample)


def score_all(store, scorer="exact"):
    store.put_score(key("q1"), scorer, 1.0)
    store.put_score(key("q2", sample=1), scorer, 0.0)
    store.put_score(key("g1"), scorer, 0.5, details={"points": [1, 0]})
    store.put_score(key("d1", turn=2), scorer, 1.0)


def test_scores_are_idempotent_conflicts_are_errors_and_answers_untouched(store):
    before = store._query("SELECT * FROM answers ORDER BY id")
    score_all(store)
    assert store.put_score(key("q1"), "exact", 1.0) is False
    with pytest.raises(
        ScoreConflictError,
        match=r"^scorer 'exact' already scored model 'mock', item 'q1', turn None, sample 0 as 1.0, "
        r"not 0.0; pass replace=True",
    ):
        store.put_score(key("q1"), "exact", 0.0)
    assert store.put_score(key("q1"), "exact", 0.0, replace=True) is True
    assert store.score(key("q1"), "exact") == 0.0
    assert store.score(key("q1"), "judge") is None
    assert store._query("SELECT * FROM answers ORDER BY id") == before
    assert store.scorers() == ["exact"]


def test_only_stored_answers_and_finite_scores(store):
    with pytest.raises(GapevalError, match="no answer stored for model 'mock', item 'q4'"):
        store.put_score(key("q4"), "exact", 1.0)
    with pytest.raises(GapevalError, match="scorer 'exact' gave score nan; scores must be finite"):
        store.put_score(key("q1"), "exact", float("nan"))
    assert store.scorers() == []


def test_long_table_columns_values_and_order(store):
    score_all(store)
    frame = store.to_frame()
    assert tuple(frame.columns) == COLUMNS
    expected = pd.DataFrame(
        {
            "model": ["mock"] * 4,
            "item": ["d1-t2", "g1", "q1", "q2"],
            "pair": ["p-d1-t2", "p-g1", "p-q1", "p-q2"],
            "direction": ["understanding", "generation", "understanding", "understanding"],
            "score": [1.0, 0.5, 1.0, 0.0],
            "category": ["cat"] * 4,
            "subtask": ["sub"] * 4,
            "session": ["d1", None, None, None],
            "turn": pd.array([2, None, None, None], dtype="Int64"),
            "sample": [0, 0, 0, 1],
            "context_tokens": pd.array([300, 5, 11, 11], dtype="Int64"),
            "status": ["ok"] * 4,
            "protocol": ["direct"] * 4,
            "step": ["final"] * 4,
        }
    )
    pd.testing.assert_frame_equal(frame, expected)


def test_unscored_and_error_rows_on_request(store):
    score_all(store)
    frame = store.to_frame(include_unscored=True, include_errors=True)
    rows = frame.set_index("item")
    assert list(frame["item"]) == ["d1-t2", "g1", "q1", "q2", "q3", "q4"]
    assert rows.loc["q3", "status"] == "refused" and math.isnan(rows.loc["q3", "score"])
    assert rows.loc["q4", "status"] == "error" and math.isnan(rows.loc["q4", "score"])
    assert pd.isna(rows.loc["q4", "context_tokens"])
    # a key answered after errors appears once, as its answer
    failing = request("q4")
    store.put(failing, text_result(failing))
    again = store.to_frame(include_unscored=True, include_errors=True)
    assert list(again.loc[again["item"] == "q4", "status"]) == ["ok"]


def test_scorer_choice_is_explicit_when_ambiguous(store):
    with pytest.raises(GapevalError, match="holds no scores yet; score the answers first"):
        store.to_frame()
    assert store.to_frame(include_unscored=True)["score"].isna().all()
    score_all(store, "exact")
    score_all(store, "judge")
    with pytest.raises(GapevalError, match=r"several scorers \(exact, judge\); pick one "
                                           r"\(gapeval export/report --scorer NAME; scorer= in Python\)"):
        store.to_frame()
    with pytest.raises(GapevalError, match="scorer 'nope' has no scores in .*; scorers there: exact, judge"):
        store.to_frame(scorer="nope")
    assert len(store.to_frame(scorer="judge")) == 4
