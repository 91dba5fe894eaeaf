"""The self-verification part of a report: false acceptance by round and by turn, from a real run."""

from __future__ import annotations

from gapeval.model_spec import ModelSpec
from gapeval.protocol_analysis import verification_frame
from gapeval.protocols.spec import parse_protocol_spec
from gapeval.report.build import build_report
from gapeval.respondents.simulated import SimulatedAdapter
from gapeval.runner import RunConfig, run
from gapeval.scoring.run_scoring import score_run
from gapeval.store import Store


def test_false_acceptance_tables_follow_the_verdicts(tmp_path):
    config = RunConfig(
        models=(ModelSpec(name="lenient", adapter="simulated"), ModelSpec(name="strict", adapter="simulated")),
        protocols=(parse_protocol_spec("self-verify:rounds=2"),), limit=12, score=False,
    )
    adapters = {"lenient": SimulatedAdapter(verify_accept=1.0), "strict": SimulatedAdapter(verify_accept=0.0)}
    run(config, tmp_path / "run", adapters=adapters)
    score_run(tmp_path / "run")
    with Store(tmp_path / "run", create=False) as store:
        responses, verdicts = store.to_frame(), verification_frame(store)
    # the strict model rejects every candidate, so it always reaches round 2; the lenient one stops at 1
    assert set(verdicts.loc[verdicts.model == "lenient", "round"]) == {1}
    assert set(verdicts.loc[verdicts.model == "strict", "round"]) == {1, 2}
    report = build_report(responses, tmp_path / "report", inference="svi", decay_binomial="vb",
                          gap_options={"num_steps": 300}, verdicts=verdicts)
    by_round = report.outcomes["verification"].results["by_round"].rates.set_index(["model", "turn"])
    wrong = verdicts[(verdicts.reference == "reject") & (verdicts.model == "lenient")]
    assert by_round.loc[("lenient", 1), "n_false_accept"] == len(wrong) > 0
    assert by_round.loc[("lenient", 1), "rate"] == 1.0 and by_round.loc[("strict", 1), "rate"] == 0.0
    assert "by_turn" in report.outcomes["verification"].results
    index = report.index.read_text()
    assert "## Self-verification: false acceptance by round" in index
    assert (tmp_path / "report" / "self_verification_turn.tex").exists()
    table = (tmp_path / "report" / "self_verification_round.md").read_text()
    assert "| Model | Round | Wrong | Accepted | Rate | CI | n |" in table
    assert f"| lenient | 1 | {len(wrong)} | {len(wrong)} | 1.000 | [" in table  # one [l, u] interval column
    trend = (tmp_path / "report" / "self_verification_turn_trend.tex").read_text()
    assert r"Model & $\delta$ & SE & 95\% CI & OR & $z$ & $p$ & $n$ \\" in trend
    assert "p_value" not in trend and "odds_ratio" not in trend
