"""Bad input to the paper-output entry points (tables, figures, protocol analysis) names the problem.

Each case asserts the class (:class:`GapevalError` or a subclass such as ``FigureError``, never a
raw ``AttributeError`` from deep inside) and the words that say what to pass instead. Nothing is
fitted, so the file takes seconds.
"""

from __future__ import annotations

import pandas as pd
import pytest

from gapeval.errors import GapevalError
from gapeval.figures import ability_scatter, decay_curves, forest_plot, item_curves, wright_map
from gapeval.protocol_analysis import (
    protocol_cost,
    protocol_decay,
    protocol_decay_table,
    protocol_effects,
    protocol_effects_table,
    protocol_forest_plot,
)
from gapeval.tables import (
    adjust,
    coef_table,
    slope_table,
    table_from_frame,
    to_html,
    to_latex,
    to_markdown,
    variance_table,
)

LONG = pd.DataFrame({"model": ["a"], "item": ["q"], "direction": ["understanding"], "score": [1]})
GAPS = pd.DataFrame({"model": ["a"], "gap": [0.1], "gap_lower": [-0.2], "gap_upper": [0.4]})

CASES = [
    # tables: a renderer or builder given the wrong object says what to build first
    (lambda: to_latex(GAPS), "to_latex needs a gapeval.tables.Table, got DataFrame; build one with .*table_from_frame"),
    (lambda: to_markdown(None), "to_markdown needs a gapeval.tables.Table, got NoneType"),
    (lambda: to_html("x"), "to_html needs a gapeval.tables.Table, got str"),
    (lambda: coef_table(GAPS), "coef_table needs a MixedModelResult or DecayResult \\(a fit of gapeval.decay.decay"),
    (lambda: slope_table(None), "slope_table needs a DecayResult \\(a fit of gapeval.decay.decay\\), got NoneType"),
    (lambda: variance_table([]), "variance_table needs a MixedModelResult or DecayResult"),
    (lambda: table_from_frame([1, 2], caption="x"), "table_from_frame needs a pandas DataFrame, got list"),
    (lambda: table_from_frame(GAPS, caption="x", kinds={"p": "p_value"}), "kinds/labels name columns \\['p'\\]"),
    (lambda: adjust([0.1, 1.5], "holm"), "p-values must lie in \\[0, 1\\]; got \\[1.5\\] at positions \\[1\\]"),
    (lambda: adjust([0.1], "bonf"), "correction='bonf' is not one of \\['holm', 'bh'\\]"),
    # figures: the table each figure is drawn from, with its columns
    (lambda: forest_plot(GAPS.drop(columns="gap_upper")), "gaps lacks column\\(s\\) \\['gap_upper'\\]"),
    (lambda: forest_plot(GAPS.iloc[:0]), "gaps has no rows; pass the table gapeval.gap_score returns"),
    (lambda: ability_scatter([1]), "gaps must be a pandas DataFrame, got list"),
    (lambda: decay_curves(LONG), "responses lacks column\\(s\\) \\['turn'\\]"),
    (lambda: item_curves(GAPS), "the items table lacks column\\(s\\) \\['item', 'param', 'estimate'\\]"),
    (lambda: wright_map(GAPS), "an abilities table needs its items table too"),
    # protocol analysis: the long table, its protocol column, the result objects
    (lambda: protocol_effects([1]), "responses must be a pandas DataFrame \\(the long table\\), got list"),
    (lambda: protocol_effects(LONG), "column 'protocol' \\(the protocol column\\) is not in the responses table"),
    (lambda: protocol_effects(LONG.assign(protocol="direct")), "holds one protocol \\('direct'\\); a protocol "
     "effect needs the baseline and at least one other protocol"),
    (lambda: protocol_cost([1]), "steps must be a pandas DataFrame \\(the steps table\\), got list"),
    (lambda: protocol_decay(LONG), "column 'turn' \\(the turn column\\) is not in the responses table"),
    (lambda: protocol_effects_table(GAPS), "effects must be the ProtocolEffects of protocol_effects, got DataFrame"),
    (lambda: protocol_forest_plot(None), "effects must be the ProtocolEffects of protocol_effects, got NoneType"),
    (lambda: protocol_decay_table(GAPS), "fit must be the ProtocolDecay of protocol_decay, got DataFrame"),
]


@pytest.mark.parametrize(("call", "message"), CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_paper_output_entry_points_name_the_problem(call, message):
    with pytest.raises(GapevalError, match=message):
        call()
