"""The score record: invariants, immutability, serialisation; and the module doctests."""

from __future__ import annotations

import doctest
import importlib

import pydantic
import pytest

from gapeval.scoring.result import Score, scored, unscorable

META = {"scorer": "text", "mode": "exact", "version": "1"}


def test_scored_and_unscorable_round_trip_through_json():
    for score in (scored(0.5, detail="d", extracted="x", **META), unscorable("why", **META)):
        assert Score.model_validate_json(score.model_dump_json()) == score


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), float("inf"), None])
def test_scored_value_must_lie_in_unit_interval(value):
    with pytest.raises(pydantic.ValidationError, match=r"a scored Score needs a value in \[0, 1\]"):
        Score(value=value, status="scored", **META)


def test_unscorable_has_no_value_and_status_is_closed():
    with pytest.raises(pydantic.ValidationError, match=r"an unscorable Score must have value=None"):
        Score(value=0.0, status="unscorable", **META)
    with pytest.raises(pydantic.ValidationError, match=r"status"):
        Score(value=1.0, status="maybe", **META)


def test_score_is_frozen_and_rejects_unknown_fields():
    score = scored(1, **META)
    with pytest.raises(pydantic.ValidationError, match=r"frozen"):
        score.value = 0.0
    with pytest.raises(pydantic.ValidationError, match=r"extra"):
        Score(value=1.0, status="scored", judge="x", **META)
    assert score.is_scored and not unscorable("r", **META).is_scored


@pytest.mark.parametrize(
    "module",
    [
        "gapeval.scoring.result", "gapeval.scoring.mcq", "gapeval.scoring.choice",
        "gapeval.scoring.numbers", "gapeval.scoring.text", "gapeval.scoring.agreement",
        "gapeval.scoring.alpha", "gapeval.scoring.agreement_table", "gapeval.scoring.judge",
        "gapeval.scoring.judge_parse",
    ],
)  # fmt: skip
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
