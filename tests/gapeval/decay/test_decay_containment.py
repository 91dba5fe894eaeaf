"""Containment df of the fixed effects (gapeval.decay.containment), checked against nlme where the rules agree.

nlme's numbers (``lme``, nlme 3.1.162) were computed once by ``nlme_orthodont.R`` and stored in
``tests/reference_data/containment_df/``; R is not needed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gapeval.decay.containment import containment_df
from gapeval.decay.terms import RandomTerm, term_design

REFERENCE = Path(__file__).parents[2] / "reference_data" / "containment_df"


def _orthodont(columns: tuple[str, ...]):
    data = pd.read_csv(REFERENCE / "orthodont.csv")
    x = np.column_stack([np.ones(len(data)), data["age"], data["female"]])
    return x, [term_design(data, RandomTerm(("Subject",), columns))]


@pytest.mark.parametrize(("columns", "random"), [(("Intercept",), "intercept"), (("Intercept", "age"), "slope")])
def test_a_between_subject_effect_gets_nlmes_df(columns, random):
    nlme = pd.read_csv(REFERENCE / "nlme_ttable.csv").query("random == @random").set_index("term")["df"]
    df = containment_df(*_orthodont(columns))
    assert df[2] == nlme["female"] == 25  # 27 subjects less the intercept and sex, both estimated between them


def test_effects_a_term_contains_get_its_df_where_nlme_counts_the_answers():
    # nlme puts the intercept, and a slope with a random part, at the innermost level (80 df); containment
    # (SAS GLIMMIX's default) refers both to the 27 subjects less the 2 between-subject effects
    intercept_only = containment_df(*_orthodont(("Intercept",)))
    with_slope = containment_df(*_orthodont(("Intercept", "age")))
    assert intercept_only.tolist() == [25.0, np.inf, 25.0]  # age varies within subjects and has no random part
    assert with_slope.tolist() == [25.0, 25.0, 25.0]


def _decay_design(*, models: int, shared_items: bool, model_covariate: bool = False):
    rows = []
    for m in range(models):
        for s in range(4):
            for t in range(3):
                for u in (0, 1):
                    rows.append({"m": m, "d": s, "i": f"{s}-{t}-{u}" if shared_items else f"{m}-{s}-{t}-{u}",
                                 "t": float(t), "u": float(u), "tu": float(t * u), "tg": float(t * (1 - u)),
                                 "z": float(m % 2)})
    frame = pd.DataFrame(rows)
    cols = ["t", "u", "tu"] + (["z"] if model_covariate else [])
    x = np.column_stack([np.ones(len(frame))] + [frame[c].to_numpy() for c in cols])
    return frame, x


def test_the_decay_design_refers_intercept_and_turn_to_the_models():
    frame, x = _decay_design(models=6, shared_items=True)
    model = term_design(frame, RandomTerm(("m",), ("Intercept", "t")))
    item = term_design(frame, RandomTerm(("i",), ("Intercept",)))
    run = term_design(frame, RandomTerm(("m", "d"), ("Intercept",)))
    # intercept and turn: 6 models - 1; direction and its turn slope vary between the 24 shared items,
    # each asked at one turn in one direction: 24 - 4
    assert containment_df(x, [model, item, run]).tolist() == [5.0, 5.0, 20.0, 20.0]
    # without shared items nothing contains direction: Wald z
    frame, x = _decay_design(models=6, shared_items=False)
    nested = [term_design(frame, RandomTerm(("m",), ("Intercept", "t"))),
              term_design(frame, RandomTerm(("m", "d"), ("Intercept",)))]
    assert containment_df(x, nested).tolist() == [5.0, 5.0, np.inf, np.inf]


def test_a_slope_per_direction_contains_the_direction_by_turn_effect():
    frame, x = _decay_design(models=6, shared_items=False)
    model = term_design(frame, RandomTerm(("m",), ("Intercept", "tu", "tg")))
    assert containment_df(x, [model]).tolist() == [5.0, 5.0, np.inf, 5.0]


def test_a_model_level_covariate_costs_the_models_a_df_and_none_left_is_nan():
    frame, x = _decay_design(models=6, shared_items=False, model_covariate=True)
    model = term_design(frame, RandomTerm(("m",), ("Intercept", "t")))
    assert containment_df(x, [model]).tolist() == [4.0, 4.0, np.inf, np.inf, 4.0]
    frame, x = _decay_design(models=2, shared_items=False, model_covariate=True)
    df = containment_df(x, [term_design(frame, RandomTerm(("m",), ("Intercept",)))])
    assert np.isnan(df[[0, 4]]).all() and np.isinf(df[[1, 2, 3]]).all()
