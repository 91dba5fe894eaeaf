"""Scratch: θ point estimates of two SVI fits of one data set (seeds rep and rep + 1000), with and without the pinned location."""
import json, sys
import numpy as np
sys.path.insert(0, "/tmp/svicover/after/benchmarks/irt")
from _shared import simulate_case, uptime_line
import irt
import irt.inference.svi as svi

M, I, D = (int(x) for x in sys.argv[1].split("x"))
reps, out = [int(s) for s in sys.argv[2].split(",")], sys.argv[3]
pin = svi._pin_location
for rep in reps:
    data, truth = simulate_case(num_respondents=M, num_items=I, num_dims=D, seed=rep)
    fits = [irt.fit(data, "2pl", method="svi", seed=s, grid_theta=False) for s in (rep, rep + 1000)]
    rec = {"shape": sys.argv[1], "rep": rep, "load": uptime_line().split("load average:")[-1].strip()}
    for name, fn in (("unpinned", lambda th, d, a, l: (th, d)), ("pinned", pin)):
        svi._pin_location = fn
        draws = [svi._theta_given_items(f.problem, f.samples, seed=s)["theta"][0, :, :, 0] for f, s in zip(fits, (rep, rep + 1000))]
        est, sd = [x.mean(0) for x in draws], draws[0].std(0)
        diff = np.abs(est[1] - est[0]) / sd
        rec.update({f"{name}_max_diff_in_sd": float(diff.max()), f"{name}_mean_diff_in_sd": float(diff.mean()),
                    f"{name}_mean_shift_in_sd": float((est[1] - est[0]).mean() / sd.mean())})
    svi._pin_location = pin
    print(json.dumps(rec), flush=True)
    with open(out, "a") as f:
        f.write(json.dumps(rec) + "\n")
