"""Is the items' uncertainty used when few answers are scored? The 200-draw mixture against the plug-in posterior mean.

For the 30 new models of ``bench_adaptive.py``'s design (seed 0), score random subsets of 40, 100 and
300 answers against the calibration (all its draws mixed) and against a one-draw calibration holding
every parameter at its posterior mean (geometric mean for the slopes); print median width, coverage
and mean error per size, and the median ratio of the widths.

Usage (repository root)::

    PYTHONPATH=. .venv/bin/python benchmarks/adaptive/item_uncertainty.py /tmp/adaptive_cal.json
"""
import time, sys
from dataclasses import replace
import numpy as np, pandas as pd
from gapeval.calibration import load_calibration, score_with_calibration
from gapeval.gap.simulate import simulate_gap_responses
cal = load_calibration(sys.argv[1])
one = lambda x: None if x is None else x.mean(axis=0, keepdims=True)
plug = replace(cal, a=np.exp(np.log(cal.a).mean(0, keepdims=True)), b=one(cal.b), sigma_gamma=one(cal.sigma_gamma),
               mu=one(cal.mu), tau=one(cal.tau), rho=one(cal.rho), chance_draws=one(cal.chance_draws),
               sensitivity=one(cal.sensitivity), specificity=one(cal.specificity))
df, truth = simulate_gap_responses(50, 600, seed=0)
rows = []
c0 = time.process_time()
for m in range(20, 50):
    frame = df[df["model"] == truth.model_ids[m]]
    order = np.random.default_rng(m).permutation(frame["item"].to_numpy())
    for n in (40, 100, 300):
        part = frame[frame["item"].isin(list(order[:n]))]
        for name, c in (("mixture", cal), ("plug-in", plug)):
            r = score_with_calibration(part, c, prior_scale=1.0).iloc[0]
            rows.append(dict(model=m, n=n, calibration=name, width=r.gap_upper - r.gap_lower,
                             covered=r.gap_lower <= truth.gap[m] <= r.gap_upper, err=abs(r.gap - truth.gap[m])))
d = pd.DataFrame(rows)
print(d.groupby(["n", "calibration"]).agg(width=("width", "median"), coverage=("covered", "mean"), err=("err", "mean")).round(3))
w = d.pivot_table(index=["model", "n"], columns="calibration", values="width")
print((w["mixture"] / w["plug-in"]).groupby("n").median().round(3))
print("cpu", round(time.process_time() - c0, 1))
