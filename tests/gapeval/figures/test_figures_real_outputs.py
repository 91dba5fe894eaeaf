"""The figure functions read the real outputs of gap_score and decay, not only hand-made tables."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer
from scipy.special import logit

from gapeval import gap_score
from gapeval.decay import decay, simulate_decay
from gapeval.figures import ability_scatter, decay_curves, forest_plot
from gapeval.gap.simulate import simulate_gap_responses


@pytest.mark.slow
def test_figures_of_a_real_gap_score_table():
    responses, _ = simulate_gap_responses(4, 30, seed=0)
    table = gap_score(responses, inference="svi", num_steps=300)
    forest = forest_plot(table).axes[0]
    assert sum(isinstance(c, ErrorbarContainer) for c in forest.containers) == 4
    assert "95% approximate credible interval" in forest.get_title()
    assert forest.get_xlabel() == r"gap $\theta_U - \theta_G$ (paired scale)"
    scatter = ability_scatter(table).axes[0]
    assert sum(isinstance(c, ErrorbarContainer) for c in scatter.containers) == 4


def test_decay_curves_of_a_binomial_decay_result():
    responses, _ = simulate_decay(num_models=2, num_sessions=6, num_turns=3, family="binomial", seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = decay(responses)
    assert result.family == "binomial"
    fig = decay_curves(responses, result=result)
    fits = {line.get_gid(): line for ax in fig.axes for line in ax.lines if line.get_gid().startswith("fit:")}
    assert len(fits) == 4
    for s in result.slopes:  # a straight line on the logit scale with the model's slope
        line = fits[f"fit:{s.model}:{s.direction}"]
        # atol: the (Laplace) understanding slope of this sample is 2e-9, where differences of logits lose rtol
        np.testing.assert_allclose(np.diff(logit(line.get_ydata())) / np.diff(line.get_xdata()), s.estimate,
                                   rtol=1e-7, atol=1e-12)
