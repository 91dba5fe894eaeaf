"""What a journal needs of a table: math in headers, ``< 0.001``, posterior probabilities named as
such and never adjusted, abbreviations defined in the note, and a width that fits the page."""

from __future__ import annotations

import pandas as pd
import pytest

from gapeval.errors import GapevalError
from gapeval.estimates import POSTERIOR_NUTS, WALD_Z
from gapeval.tables import Column, Table, to_latex, to_markdown
from gapeval.tables.build import _p_columns
from gapeval.tables.latex import latex_text, natural_width
from gapeval.tables.markdown import markdown_text
from gapeval.tables.texmath import split_math


def test_math_segments_are_typeset_in_latex_and_spelled_out_in_markdown():
    label = r"$\theta_U - \theta_{G}$ of gpt_4o (\$5)"
    assert latex_text(label) == r"$\theta_U - \theta_{G}$ of gpt\_4o (\$5)"
    assert markdown_text(label) == "θ<sub>U</sub> − θ<sub>G</sub> of gpt\\_4o ($5)"
    assert markdown_text(r"$P_{\mathrm{tail}}$, $p_{11}$, $P(\Delta > 0)$") == \
        "P<sub>tail</sub>, p<sub>11</sub>, P(Δ > 0)"
    with pytest.raises(ValueError, match="unbalanced"):
        split_math("θ costs $5")


def test_cells_are_never_read_as_math():
    table = Table(columns=(Column("m", "$m$", "text"),), rows=(("a $x$ b",),), caption="c")
    assert r"a \$x\$ b" in to_latex(table)
    assert "| $m$ |" not in to_markdown(table) and "| m |" in to_markdown(table)


@pytest.mark.parametrize(("kind", "value", "latex", "markdown"), [
    ("p_value", 3.1e-8, "$<$0.001", "< 0.001"),
    ("p_value", 0.0, "$<$0.001", "< 0.001"),
    ("p_value", 0.9996, "1.000", "1.000"),
    ("probability", 0.9996, "$>$0.999", "> 0.999"),
    ("probability", 0.0, "$<$0.001", "< 0.001"),
    ("probability", 0.5, "0.500", "0.500"),
])
def test_small_p_values_and_extreme_probabilities_print_as_bounds(kind, value, latex, markdown):
    table = Table(columns=(Column("p", "p", kind),), rows=((value,),), caption="c")
    assert f"    {latex} \\\\" in to_latex(table)
    assert f"| {markdown} |" in to_markdown(table)


def test_posterior_tail_probabilities_are_named_and_never_adjusted():
    columns, values = _p_columns([0.01, 0.2], None, 3, names=[POSTERIOR_NUTS] * 2)
    assert [(c.label, c.kind) for c in columns] == [("$P_{\\mathrm{tail}}$", "probability")]
    assert values == [[0.01, 0.2]]
    with pytest.raises(GapevalError, match="posterior tail probabilities.*correction=None"):
        _p_columns([0.01, 0.2], "holm", 3, names=[POSTERIOR_NUTS] * 2)
    columns, values = _p_columns([0.01, 0.2], "holm", 3, names=[WALD_Z] * 2)
    assert [c.label for c in columns] == ["$p$", "$p$ (Holm)"]
    assert values[1] == [0.02, 0.2]


def test_abbreviations_are_defined_in_the_note_and_cells_shortened():
    table = Table(columns=(Column("m", "Model", "text"), Column("d", "Direction", "text")),
                  rows=(("a", "understanding"), ("a", "generation"), ("b", "other")), caption="c", notes=("N.",))
    short = table.abbreviate("d", {"understanding": "U", "generation": "G"}, label="Dir.")
    assert short.values("d") == ["U", "G", "other"]
    assert short.column("d").label == "Dir."
    assert short.note_lines() == ("N.", "Dir.: U, understanding; G, generation.")
    assert table.values("d")[0] == "understanding"  # the original is unchanged


def _wide(n_columns: int, name: str) -> Table:
    columns = (Column("m", "Model", "text"), *(Column(f"x{i}", f"Column {i}") for i in range(n_columns)))
    return Table(columns=columns, rows=((name, *[-12.345] * n_columns),), caption="c")


def test_tables_too_wide_for_the_text_block_are_set_in_landscape():
    narrow, wide = _wide(3, "m1"), _wide(12, "a-rather-long-model-name-v2")
    assert natural_width(narrow) < 200 < 345 < natural_width(wide)
    assert "landscape" not in to_latex(narrow)
    latex = to_latex(wide)
    assert latex.startswith("\\begin{landscape}\n\\begin{table}") and latex.endswith("\\end{landscape}\n")
    assert "landscape" not in to_latex(wide, layout="portrait")
    with pytest.raises(GapevalError, match="layout='sideways'"):
        to_latex(narrow, layout="sideways")


def test_decay_note_counts_dialogue_runs_not_dialogues():
    import warnings

    from gapeval.decay import decay, simulate_decay
    from gapeval.tables import coef_table

    responses = simulate_decay(num_models=3, num_sessions=4, num_turns=4, seed=2)[0]
    # the same 4 dialogues answered by each of the 3 models: 12 runs of 4 dialogues
    responses = responses.assign(session=responses.groupby("model")["session"].transform(lambda s: pd.factorize(s)[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = decay(responses)
    note = coef_table(result).notes[0]
    assert f"{len(responses)} responses in 12 dialogue runs (one per model and dialogue) of 3 models." in note
