"""The simulated respondent answers with its IRT probabilities, and the scorers agree with its draws."""

from __future__ import annotations

import math

import pytest
from respondentkit import item_request, run_dialogue, score_output

from gapeval.adapters.base import AdapterOptionError
from gapeval.bank import load_bank
from gapeval.respondents.simulated import SimulatedAdapter, difficulty_of
from tests.gapeval.adapters.adapterkit import image_request, text_request


@pytest.fixture(scope="module")
def bank():
    return load_bank("builtin")


def _check_calibration(bank, adapter: SimulatedAdapter, run_seeds: tuple[int, ...]) -> None:
    """Scores agree with the drawn outcome, and the share correct per direction is within 3.5 binomial SEs
    of the model-implied mean probability."""
    requests = [item_request(bank, item, run_seed=seed) for seed in run_seeds for item in bank.items]
    results = adapter.run_turns(requests)
    totals = {"understanding": [0, 0.0, 0.0, 0.0], "generation": [0, 0.0, 0.0, 0.0]}
    for request, result in zip(requests, results, strict=True):
        score = score_output(adapter.step(request).answer, result)
        assert score.is_scored, (request.item, score.detail)
        assert score.value == float(result.raw["correct"]), (request.item, result.raw, score.detail)
        p = adapter.probability(request)
        assert result.raw["p"] == pytest.approx(p, abs=1e-6)
        row = totals[request.direction]
        row[0] += 1
        row[1] += score.value
        row[2] += p
        row[3] += p * (1 - p)
    for direction, (n, right, expected, variance) in totals.items():
        gap = abs(right - expected) / math.sqrt(variance)
        assert gap < 3.5, f"{direction}: {right} correct of {n}, expected {expected:.1f} (z = {gap:.2f})"


def test_share_correct_matches_the_model_on_the_builtin_bank(bank):
    adapter = SimulatedAdapter(theta_understanding=1.0, theta_generation=-1.0)
    _check_calibration(bank, adapter, (0,))


@pytest.mark.slow
def test_share_correct_matches_the_model_for_two_more_respondents(bank):
    _check_calibration(bank, SimulatedAdapter(theta_understanding=-0.5, theta_generation=0.5, slope=1.7), (1, 2))


def test_probability_follows_the_formula(bank):
    adapter = SimulatedAdapter(theta_understanding=0.3, theta_generation=-0.2, decay=-0.25, slope=1.5)
    item = bank.item("count-003-und")
    assert item.difficulty == 3
    request = item_request(bank, item)
    assert adapter.probability(request) == pytest.approx(1 / (1 + math.exp(-1.5 * (0.3 - 0.0))))
    dialogue = bank.dialogues[8]
    turn = dialogue.turns[2]
    wanted = {"kind": "image", "width": 8, "height": 8}
    later = text_request(f"{dialogue.id}#3", session=dialogue.id, turn=3, output=wanted)
    logit = 1.5 * (-0.2 - 0.25 * 2 - (turn.difficulty - 3))
    assert adapter.step(later) == turn
    assert adapter.probability(later) == pytest.approx(1 / (1 + math.exp(-logit)))
    by_item_id = later.model_copy(update={"session": None, "turn": None})
    assert adapter.step(by_item_id) == turn


def test_same_seed_same_answer_and_seeds_vary_answers(bank):
    adapter = SimulatedAdapter()
    item = bank.item("compare-002-und")
    answers = {adapter.run_turns([item_request(bank, item, run_seed=s)])[0].output.text for s in range(40)}
    assert len(answers) >= 2
    request = item_request(bank, item, run_seed=7)
    first, again = adapter.run_turns([request]), adapter.run_turns([request])
    assert (first[0].output, first[0].raw) == (again[0].output, again[0].raw)


def test_extreme_abilities_answer_all_right_or_all_wrong_in_dialogues(bank):
    dialogues = [d for d in bank.dialogues if d.id in ("session-007", "session-007-gold")]
    for theta, expected in ((12.0, 1.0), (-12.0, 0.0)):
        adapter = SimulatedAdapter(theta_understanding=theta, theta_generation=theta, slope=3.0)
        for dialogue in dialogues:
            rows = run_dialogue(bank, adapter, dialogue)
            assert [score.value if score else None for _, score, _ in rows] == [expected] * len(rows), dialogue.id


def test_unknown_ids_get_generic_answers():
    adapter = SimulatedAdapter()
    results = adapter.run_turns([text_request("q1"), image_request("g1", history_colour="red"), image_request("g2")])
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    assert results[0].output.text in {"A", "B", "C", "D"}
    assert not any(r.raw["in_bank"] for r in results)
    assert difficulty_of(None, "q1") == results[0].raw["b"]


def test_options_are_checked_and_fingerprinted():
    with pytest.raises(AdapterOptionError, match="slope"):
        SimulatedAdapter(slope=0)
    with pytest.raises(AdapterOptionError, match="theta_generation"):
        SimulatedAdapter(theta_generation=float("nan"))
    fingerprint = SimulatedAdapter(theta_understanding=1.0, decay=-0.1, name="demo").fingerprint()
    assert fingerprint["theta_understanding"] == 1.0 and fingerprint["decay"] == -0.1
    assert fingerprint["bank_hash"] == load_bank("builtin").hash and fingerprint["name"] == "demo"


def test_respondents_sharing_request_seeds_draw_independently(bank):
    """Two equal respondents of one run get the same per-request seeds but must not answer alike.

    Seeding by the request alone made every respondent's answer to an item hinge on one shared
    uniform draw (a nested pattern that inflated fitted ability differences about threefold).
    """
    adapter = SimulatedAdapter(theta_understanding=0.0)
    items = [item for item in bank.items if item.direction == "understanding"][:160]
    first, second = [], []
    for item in items:
        request = item_request(bank, item)
        first.append(adapter.probability(request) and adapter.run_turns([request])[0].raw["correct"])
        renamed = request.model_copy(update={"model": "another-respondent"})
        second.append(adapter.run_turns([renamed])[0].raw["correct"])
    agreement = sum(a == b for a, b in zip(first, second, strict=True)) / len(items)
    p = [adapter.probability(item_request(bank, item)) for item in items]
    expected = sum(q * q + (1 - q) * (1 - q) for q in p) / len(items)
    assert abs(agreement - expected) < 4 * math.sqrt(expected * (1 - expected) / len(items))
    assert agreement < 0.9
