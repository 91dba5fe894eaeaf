"""End to end: simulated respondents given a known protocol effect, run, scored, and estimated."""

from __future__ import annotations

import pandas as pd
import pytest

from gapeval.model_spec import ModelSpec
from gapeval.protocol_analysis import protocol_effects
from gapeval.protocols.spec import parse_protocol_spec
from gapeval.report.build import build_report
from gapeval.runner import RunConfig, run
from gapeval.scoring.run_scoring import score_run
from gapeval.store import Store

# eight respondents: with four, the pair-effect spread is so poorly known that it stretches the
# ability scale and the effect's interval missed the truth (1.25 to ... for a true 1.2)
ABILITIES = {f"s{k}": (u, g) for k, (u, g) in enumerate(
    [(1.0, 0.0), (0.0, 0.5), (0.5, -0.5), (-0.5, 1.0), (-1.0, -0.8), (0.8, 0.8), (0.2, -1.2), (-0.3, 0.3)], 1)}
COT_EFFECT = (0.0, 1.2)


@pytest.fixture(scope="module")
def protocol_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("protocol-run")
    models = tuple(
        ModelSpec(name=name, adapter="simulated",
                  options={"theta_understanding": u, "theta_generation": g,
                           "protocol_effects": f"cot:{COT_EFFECT[0]}:{COT_EFFECT[1]}"})
        for name, (u, g) in ABILITIES.items()
    )
    config = RunConfig(models=models, include="items", limit=160, score=False,
                       protocols=(parse_protocol_spec("direct"), parse_protocol_spec("cot")))
    report = run(config, folder)
    assert report.complete
    score_run(folder)
    with Store(folder, create=False) as store:
        return folder, store.to_frame(), store.steps_frame()


def test_the_known_protocol_effect_is_covered(protocol_run):
    _, responses, steps = protocol_run
    assert set(responses.protocol) == {"direct", "cot"} and set(responses.step) == {"final"}
    fit = protocol_effects(responses, baseline="direct", inference="nuts", seed=1, steps=steps)
    generation = fit.effect("cot", "theta_generation")
    understanding = fit.effect("cot", "theta_understanding")
    gap = fit.effect("cot", "gap")
    assert generation["lower"] < COT_EFFECT[1] < generation["upper"] and generation["lower"] > 0
    assert understanding["lower"] < COT_EFFECT[0] < understanding["upper"]
    assert gap["lower"] < COT_EFFECT[0] - COT_EFFECT[1] < gap["upper"] < 0
    cost = fit.cost.set_index(["model", "protocol"])
    assert (cost.loc[(slice(None), "cot"), "calls_per_answer"] == 2.0).all()
    assert (cost.loc[(slice(None), "direct"), "calls_per_answer"] == 1.0).all()


def test_the_report_of_a_protocol_run_has_the_protocol_part(protocol_run, tmp_path):
    folder, responses, steps = protocol_run
    report = build_report(responses, tmp_path, inference="svi", decay_binomial="vb", steps=steps,
                          gap_options={"num_steps": 800})
    index = report.index.read_text()
    assert "## Protocol effects (against direct)" in index
    assert "s1 [cot]" in set(pd.read_csv(tmp_path / "gap_scores.csv")["model"])
    assert (tmp_path / "figures" / "protocol_effects.png").stat().st_size > 10_000
    assert "Not estimated: no dialogue turns in the data." in index
