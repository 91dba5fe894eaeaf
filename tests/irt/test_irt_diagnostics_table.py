"""``irt.arviz_bridge.convergence_table``: R-hat and ESS per scalar, one chain included."""

from __future__ import annotations

import numpy as np

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
