"""``irt.arviz_bridge.convergence_table``: R-hat and ESS per scalar, one chain included."""

from __future__ import annotations

import numpy as np
import pytest

from irt.arviz_bridge import convergence_table


def test_two_chains_give_rhat_near_one_and_drop_constant_scalars():
    rng = np.random.default_rng(0)
    posterior = {"theta": rng.normal(size=(2, 400, 3)), "fixed": np.zeros((2, 400, 2))}
    table = convergence_table(posterior, var_names=["theta", "fixed"])
    assert table["site"].tolist() == ["theta"] * 3                    # constant draws have no statistic
    assert ((table["r_hat"] > 0.98) & (table["r_hat"] < 1.02)).all()
    assert (table["ess_bulk"] > 500).all()


def test_one_chain_keeps_ess_and_leaves_rhat_nan():
    rng = np.random.default_rng(1)
    table = convergence_table({"theta": rng.normal(size=(1, 400, 3))}, var_names=["theta"])
    assert list(table.columns) == ["site", "index", "r_hat", "ess_bulk", "ess_tail"]
    assert len(table) == 3 and table["r_hat"].isna().all()
    assert (table["ess_bulk"] > 200).all() and (table["ess_tail"] > 100).all()


def _diagnostics(r_hat: float, ess: float, divergences: int = 0):
    import pandas as pd

    from irt.diagnostics import Diagnostics

    table = pd.DataFrame({"site": "theta", "index": range(66), "r_hat": 1.002, "ess_bulk": ess, "ess_tail": ess})
    table.loc[5, "r_hat"] = r_hat
    return Diagnostics(table=table, num_divergences=divergences, num_chains=2)


def test_a_largest_rhat_just_over_the_threshold_is_called_possibly_chance():
    diagnostics = _diagnostics(1.013, 620.0)
    assert diagnostics.problems() == ["max R-hat 1.013 > 1.01 (at theta[5])"]
    assert diagnostics.rhat_near_chance
    message = diagnostics.advice(diagnostics.problems())
    assert message.startswith("NUTS convergence checks failed: max R-hat 1.013 > 1.01 (at theta[5]). Try: run longer")
    assert "smallest ESS of 620 over 66 quantities" in message and "by chance" in message


@pytest.mark.parametrize("r_hat, ess, divergences", [(1.05, 620.0, 0), (1.013, 300.0, 0), (1.013, 620.0, 2)])
def test_no_chance_remark_for_large_rhat_low_ess_or_divergences(r_hat, ess, divergences):
    diagnostics = _diagnostics(r_hat, ess, divergences)
    assert not diagnostics.rhat_near_chance
    assert "by chance" not in diagnostics.advice(diagnostics.problems())
