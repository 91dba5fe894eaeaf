"""conftwo1: confirmatory two-factor model with binary and graded items, against the reference optimum."""

from __future__ import annotations

import numpy as np
import pytest

import irt
from irt.mml.fit_statistics import sx2

REF_SLOPES = {  # item: (a1, a2)
    "Item_1": (1.5957, 0), "Item_2": (0.4561, 0), "Item_3": (0.9051, 0), "Item_4": (0.8973, 0.4283),
    "Item_5": (0, 1.3865), "Item_6": (0, 0.6357), "Item_7": (0, 0.8849), "Item_8": (0, 0.9294),
}
REF_THRESHOLDS = {
    "Item_1": [-0.9726], "Item_2": [-1.4275], "Item_3": [1.4600], "Item_4": [0.0464],
    "Item_5": [2.8929, 1.9204, -0.3890], "Item_6": [2.5058, 1.0294, -1.0281], "Item_7": [2.0122, 0.0958],
    "Item_8": [1.1242],
}


@pytest.fixture(scope="module")
def fit(conftwo1):
    data, q = conftwo1
    return irt.fit(data, "graded", method="mml", q_matrix=q)


def test_loadings_thresholds_and_correlation_within_2e2_relative(fit):
    items = fit.items().set_index(["item", "param"])["estimate"]
    for item, (a1, a2) in REF_SLOPES.items():
        for dim, ref in (("F1", a1), ("F2", a2)):
            if ref:
                assert items[(item, f"a[{dim}]")] == pytest.approx(ref, rel=2e-2)
            else:
                assert (item, f"a[{dim}]") not in items.index
        got = [items[(item, f"d{k + 1}")] for k in range(len(REF_THRESHOLDS[item]))]
        np.testing.assert_allclose(got, REF_THRESHOLDS[item], rtol=2e-2, atol=1e-3)
    latent = fit.latent()
    assert latent["param"].tolist() == ["omega[F1,F2]"]
    assert latent["estimate"].iloc[0] == pytest.approx(0.4725, rel=2e-2)
    assert 0.03 < latent["sd"].iloc[0] < 0.1


def test_loglik_matches_reference(fit):
    assert fit.loglik == pytest.approx(-12402.52, abs=0.05)
    assert fit.info["num_nodes"] < 31 ** 2  # the product grid is pruned of negligible nodes


def test_two_dimensional_scores_and_refusals(fit):
    table = fit.abilities()
    assert len(table) == 2 * 2000
    assert table["dimension"].iloc[:2].tolist() == ["F1", "F2"]
    eap = table.pivot(index="respondent", columns="dimension", values="estimate")
    assert 0.3 < np.corrcoef(eap["F1"], eap["F2"])[0, 1] < 0.95
    with pytest.raises(ValueError, match="sum_score_table.. is for unidimensional fits"):
        fit.sum_score_table()
    with pytest.raises(ValueError, match="S-X2 is implemented for unidimensional fits only"):
        sx2(fit)
    assert list(fit.item_fit().columns) == ["item", "infit", "outfit"]
