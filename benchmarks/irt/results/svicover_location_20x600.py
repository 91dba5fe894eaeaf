"""Scratch: 2PL 20 x 600 (and other small shapes), one SVI fit per rep, θ corrected with and without the pinned location."""
import json, sys, time, os
import numpy as np
sys.path.insert(0, "/tmp/svicover/after/benchmarks/irt")
from _shared import recovery, cpu_seconds, uptime_line, simulate_case
import irt
import irt.inference.svi as svi

M, I, D = (int(x) for x in sys.argv[1].split("x"))
reps, out = [int(s) for s in sys.argv[2].split(",")], sys.argv[3]
pin = svi._pin_location
shifts = np.quantile(np.random.default_rng(7).standard_normal(100_000), (np.arange(400) + 0.5) / 400) / np.sqrt(M)
for rep in reps:
    data, truth = simulate_case(num_respondents=M, num_items=I, num_dims=D, seed=rep)
    q = truth.q_matrix if D > 1 else None
    c0 = cpu_seconds()
    fit = irt.fit(data, "2pl", method="svi", q_matrix=q, seed=rep, grid_theta=False)
    rec = {"shape": sys.argv[1], "rep": rep, "fit_cpu_s": cpu_seconds() - c0, "load": uptime_line().split("load average:")[-1].strip()}
    t = truth.theta
    for name, fn in (("unpinned", lambda th, d, a, l: (th, d)), ("pinned", pin)):
        svi._pin_location = fn
        draws = svi._theta_given_items(fit.problem, fit.samples, seed=rep)["theta"][0]
        lo, hi = np.quantile(draws, .025, 0), np.quantile(draws, .975, 0)
        s = recovery(draws.mean(0), t, lower=lo, upper=hi)
        loc = draws.mean(axis=1)
        x = t - t.mean(0)
        rec.update({f"{name}_coverage": s["coverage"], f"{name}_rmse": s["rmse"], f"{name}_width": s["mean_width"],
                    f"{name}_loc_mean_in_prior_sd": (loc.mean(0) * np.sqrt(M)).tolist(),
                    f"{name}_loc_sd_in_prior_sd": (loc.std(0) * np.sqrt(M)).tolist(),
                    f"{name}_coverage_location_averaged": float(np.mean([(lo <= x + u) & (x + u <= hi) for u in shifts])) if D == 1 else None})
    svi._pin_location = pin
    rec["data_z"] = (t.mean(0) * np.sqrt(M)).tolist()
    print(json.dumps(rec), flush=True)
    with open(out, "a") as f:
        f.write(json.dumps(rec) + "\n")
