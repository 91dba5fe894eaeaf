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
    assert list(table.columns) == ["site", "index", "r_hat", "ess_bulk", "ess_tail", "r_hat_bulk", "r_hat_folded",
                                   "ess_folded"]
    assert len(table) == 3 and table[["r_hat", "r_hat_bulk", "r_hat_folded"]].isna().all().all()
    assert (table["ess_bulk"] > 200).all() and (table["ess_tail"] > 100).all() and (table["ess_folded"] > 200).all()


def _diagnostics(r_hat: float, ess: float, divergences: int = 0, quantities: int = 66, *,
                 folded: float = 1.001, ess_folded: float | None = None):
    """66 quantities at R-hat 1.002 but theta[5], whose bulk R-hat is ``r_hat`` and folded R-hat ``folded``."""
    import pandas as pd

    from irt.diagnostics import TABLE_COLUMNS, Diagnostics

    table = pd.DataFrame({"site": "theta", "index": range(quantities), "r_hat": 1.002, "ess_bulk": ess,
                          "ess_tail": ess, "r_hat_bulk": 1.002, "r_hat_folded": 1.001,
                          "ess_folded": ess if ess_folded is None else ess_folded}, columns=list(TABLE_COLUMNS))
    table.loc[5, ["r_hat", "r_hat_bulk", "r_hat_folded"]] = [max(r_hat, folded), r_hat, folded]
    return Diagnostics(table=table, num_divergences=divergences, num_chains=2)


def test_an_rhat_that_chance_gives_at_this_size_passes_and_one_beyond_it_fails():
    # 66 quantities of 2 chains at ESS 620: chance alone takes the largest R-hat past 1.01 about half the time
    assert _diagnostics(1.013, 620.0).ok
    # the same R-hat with ESS 1,200 (limit 1.0102) or over 1.02 (never passed) fails, naming the limit
    assert _diagnostics(1.013, 1200.0).problems() == [
        "R-hat 1.013 (bulk 1.013) > 1.010 at theta[5] (the limit for 66 quantities of 2 chains at its bulk ESS 1200; "
        "1 quantities over their limits)"]
    problems = _diagnostics(1.025, 620.0).problems()
    assert len(problems) == 1 and problems[0].startswith("R-hat 1.025 (bulk 1.025) > 1.020 at theta[5]")
    message = _diagnostics(1.025, 620.0).advice(problems)
    assert message.startswith("NUTS convergence checks failed: R-hat 1.025 (bulk 1.025) > 1.020")
    assert "num_chains=4" in message


def test_each_rhat_meets_the_limit_of_its_own_ess():
    from irt.diagnostics import rhat_limit

    # a folded R-hat of 1.015 is chance at its folded ESS 600 (limit 1.020) though over the limit at the bulk ESS
    # 2,000 (1.010), the old rule's: NUTS chains' folded ESS is ~3.5x below their bulk ESS
    wide, narrow = (float(rhat_limit(e, num_quantities=66, num_chains=2)) for e in (600.0, 2000.0))
    assert narrow < 1.015 < wide
    limits = _diagnostics(1.0, 2000.0, folded=1.015, ess_folded=600.0).rhat_limits()
    assert list(limits.columns) == ["bulk", "folded"]
    np.testing.assert_allclose(limits.loc[5].to_numpy(), [narrow, wide])
    assert _diagnostics(1.0, 2000.0, folded=1.015, ess_folded=600.0).ok
    np.testing.assert_allclose(_diagnostics(1.0, 2000.0, folded=1.015, ess_folded=600.0).rhat_excess().loc[5].to_numpy(),
                               [1.0 - narrow, 1.015 - wide])
    # the same folded R-hat fails at a folded ESS of 2,000, saying which statistic at which ESS gave the limit
    assert _diagnostics(1.0, 600.0, folded=1.015, ess_folded=2000.0).problems() == [
        "R-hat 1.015 (folded 1.015) > 1.010 at theta[5] (the limit for 66 quantities of 2 chains at its folded "
        "ESS 2000; 1 quantities over their limits)"]
    # and the reverse: the bulk R-hat is judged at the bulk ESS, whatever the folded ESS is
    assert _diagnostics(1.015, 600.0, folded=1.0, ess_folded=2000.0).ok
    assert _diagnostics(1.015, 2000.0, folded=1.0, ess_folded=600.0).problems()[0].startswith(
        "R-hat 1.015 (bulk 1.015) > 1.010 at theta[5] (the limit for 66 quantities of 2 chains at its bulk ESS 2000")


def test_the_statistic_furthest_over_its_limit_is_named():
    # both statistics of theta[5] over: bulk 1.0115 against 1.010 (ESS 2,000), folded 0.004 over its limit at
    # ESS 900; the message names the one further over, and counts the quantity once
    from irt.diagnostics import rhat_limit

    limit = float(rhat_limit(900.0, num_quantities=66, num_chains=2))
    problems = _diagnostics(1.0115, 2000.0, folded=limit + 0.004, ess_folded=900.0).problems()
    assert problems[0].startswith(f"R-hat {limit + 0.004:.3f} (folded {limit + 0.004:.3f}) > {limit:.3f}")
    assert problems[0].endswith("1 quantities over their limits)")


def test_rhat_limit_grows_with_the_quantities_and_shrinks_with_the_ess_within_its_bounds():
    from irt.diagnostics import RHAT_CHANCE, RHAT_MAX, rhat_limit

    ess = np.array([100.0, 400.0, 700.0, 1000.0, 3000.0])
    few, many = (rhat_limit(ess, num_quantities=k, num_chains=2) for k in (10, 200))
    assert (np.diff(few) <= 0).all() and (many >= few).all() and (many[2:4] > few[2:4]).all()
    assert few.min() == RHAT_MAX and many.max() == RHAT_CHANCE
    assert few[0] == few[1]                        # an ESS under 400 does not loosen the limit further
    # the chi-square approximation: 1 + (4 / 6) * chi2_3^-1(1 - 0.05 / 132) / ESS for 66 quantities, 2 chains
    np.testing.assert_allclose(rhat_limit(1000.0, num_quantities=66, num_chains=2), 1.01221, atol=5e-5)


@pytest.mark.parametrize("r_hat, ess, divergences, quantities, failed", [
    (1.013, 300.0, 0, 66, "min bulk ESS 300 < 400"), (1.013, 620.0, 2, 66, "2 divergent transitions"),
    (1.015, 700.0, 0, 8, "R-hat 1.015 (bulk 1.015) > 1.013")])
def test_other_checks_and_few_quantities_still_fail(r_hat, ess, divergences, quantities, failed):
    problems = _diagnostics(r_hat, ess, divergences, quantities).problems()
    assert any(p.startswith(failed) for p in problems), problems
    assert _diagnostics(1.015, 700.0, 0, 66).ok        # the same R-hat is chance among 66 quantities
