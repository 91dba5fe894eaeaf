"""Tables built from results: columns, named tests, corrections, and the table object's checks."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from gapeval.decay import SATTERTHWAITE_T, WALD_Z, decay, simulate_decay
from gapeval.tables import (
    Column,
    Marks,
    Table,
    benjamini_hochberg,
    coef_table,
    holm,
    slope_table,
    table_from_frame,
    to_markdown,
    variance_table,
)


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return decay(simulate_decay(num_models=4, num_sessions=6, num_turns=4, seed=2)[0])


def test_coef_table_names_each_test(result):
    table = coef_table(result)
    assert table.values("term") == ["Intercept", "turn", "direction[understanding]", "turn:direction[understanding]"]
    assert set(table.values("test")) == {SATTERTHWAITE_T}
    assert table.tests == (SATTERTHWAITE_T,)
    z = coef_table(result, test=WALD_Z)
    assert z.values("df") == [None] * 4
    assert z.values("p") == [fe.test(WALD_Z).p_value for fe in result.fixed_effects]


def test_coef_table_interval_inverts_the_chosen_test(result):
    fe = result.interaction
    (lo_t, hi_t), = coef_table(result, terms=[fe.term]).values("ci")
    (lo_z, hi_z), = coef_table(result, terms=[fe.term], test=WALD_Z).values("ci")
    assert (lo_t, hi_t) == pytest.approx((fe.lower, fe.upper))
    assert hi_z - fe.estimate == pytest.approx(1.959964 * fe.sd, rel=1e-6)
    assert hi_t - lo_t > hi_z - lo_z


def test_coef_table_correction_family_is_the_terms_shown(result):
    terms = ["turn", "turn:direction[understanding]"]
    table = coef_table(result, terms=terms, correction="bh", marks=True)
    assert table.family_size == 2
    np.testing.assert_allclose(table.values("p_adj"), benjamini_hochberg(table.values("p")))
    assert table.column("p_adj").label == "$p$ (Benjamini–Hochberg)"
    assert table.marks == Marks("p_adj")
    assert "p-values adjusted for 2 comparisons by Benjamini–Hochberg" in to_markdown(table)


def test_coef_table_refuses_unknown_terms(result):
    with pytest.raises(ValueError, match=r"terms \['slope'\] are not fixed effects; available: \['Intercept'"):
        coef_table(result, terms=["slope"])
    with pytest.raises(ValueError, match=r"no test 'likelihood ratio' for term 'Intercept'"):
        coef_table(result, test="likelihood ratio")


def test_slope_table(result):
    table = slope_table(result, correction="holm")
    assert len(table.rows) == 8 and table.family_size == 8
    assert table.values("model")[:2] == ["model_0", "model_0"]
    assert table.values("direction")[:2] == ["understanding", "generation"]
    np.testing.assert_allclose(table.values("p_adj"), holm([s.test.p_value for s in result.slopes]))
    assert any("BLUP" in n for n in table.note_lines())


def test_variance_table_decay(result):
    table = variance_table(result)
    assert [r[:2] for r in table.rows] == [
        ("model", "Intercept"), ("model", "turn"), ("model", "Intercept × turn"),
        ("model:session", "Intercept"), ("Residual", None),  # lme4's name of the run term
    ]


def test_table_from_frame():
    frame = pd.DataFrame({"model": ["gpt_4o", "b"], "gap": [0.5, np.nan], "n": [3, 4]})
    table = table_from_frame(frame, caption="Gaps", labels={"gap": "Gap"}, tests=("posterior probability",))
    assert [c.kind for c in table.columns] == ["text", "number", "integer"]
    assert table.rows[1] == ("b", None, 4)
    assert "| gpt\\_4o | 0.500 | 3 |" in to_markdown(table)
    with pytest.raises(ValueError, match=r"kinds/labels name columns \['gapp'\] that the frame lacks"):
        table_from_frame(frame, caption="x", kinds={"gapp": "number"})


def test_table_checks():
    cols = (Column("a", "A", "text"), Column("p", "p", "p_value"))
    with pytest.raises(ValueError, match=r"row 0 has 1 cells but the table has 2 columns"):
        Table(columns=cols, rows=(("x",),), caption="c")
    with pytest.raises(ValueError, match=r"marks need a p_value column; 'a' is 'text'"):
        Table(columns=cols, rows=(), caption="c", marks=Marks("a"))
    with pytest.raises(ValueError, match=r"a corrected table must say its family_size"):
        Table(columns=cols, rows=(), caption="c", correction="holm")
    with pytest.raises(ValueError, match=r"correction='fdr' is not one of \['holm', 'bh'\]"):
        Table(columns=cols, rows=(), caption="c", correction="fdr", family_size=2)
    with pytest.raises(ValueError, match=r"column 'x' has kind='pvalue'; use one of"):
        Column("x", "X", "pvalue")
    with pytest.raises(ValueError, match=r"column keys must be unique"):
        Table(columns=(cols[0], cols[0]), rows=(), caption="c")
    with pytest.raises(ValueError, match=r"mark thresholds \[0.05, 0.01\] must be increasing"):
        Marks("p", thresholds=((0.05, "*"), (0.01, "**")))
    table = Table(columns=cols, rows=(("x", 0.02),), caption="c")
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.caption = "d"  # type: ignore[misc]


def test_marks_definition():
    marks = Marks("p", thresholds=((0.01, "†"), (0.1, "‡")))
    assert [marks.mark(p) for p in (0.005, 0.05, 0.5, None, float("nan"))] == ["†", "‡", "", "", ""]
    assert marks.definition("p") == "Marks: ‡ p < 0.1; † p < 0.01."
