"""Probe (eleventh session): how many full-batch SVI steps does irt.fit's 2PL fit need at a constant step size?
Fits of one data set at several step counts against the longest, in posterior sds; coverage of theta
(location-averaged) and of the items. Run as: python svi_steps_probe_eleventh.py 1000 1000 0,1,2
1000,2000,3000,5000,10000 out.jsonl (constant step size, the default when it ran)."""
import json, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import irt
from svi_scaling import location_averaged_coverage

respondents, items = int(sys.argv[1]), int(sys.argv[2])
seeds = [int(s) for s in sys.argv[3].split(",")]
steps_list = [int(s) for s in sys.argv[4].split(",")]
out = open(sys.argv[5], "a")
for seed in seeds:
    data, truth = irt.simulate("2pl", num_respondents=respondents, num_items=items, seed=seed)
    tables = {}
    for steps in steps_list:
        t0, c0 = time.perf_counter(), time.process_time()
        fit = irt.fit(data, "2pl", method="svi", seed=seed, num_steps=steps, learning_rate_decay=1.0)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        ab, it = fit.abilities(), fit.items()
        tables[steps] = (ab, it)
        lo, hi = ab["lower"].to_numpy(), ab["upper"].to_numpy()
        rec = {"respondents": respondents, "items": items, "seed": seed, "steps": steps, "wall_s": wall, "cpu_s": cpu,
               "theta_cov_locavg": location_averaged_coverage(lo, hi, truth.theta[:, 0]),
               "theta_rmse": float(np.sqrt(np.mean((ab["estimate"].to_numpy() - truth.theta[:, 0]) ** 2))),
               "final_loss": fit.info.get("final_loss"), "scale_check": fit.info.get("scale_check")}
        for param, true in (("a", truth.a), ("d", truth.d)):
            rows = it[it["param"] == param]
            if len(rows):
                rec[f"{param}_cov"] = float(np.mean((rows["lower"].to_numpy() <= true) & (true <= rows["upper"].to_numpy())))
        print(json.dumps(rec), flush=True)
        out.write(json.dumps(rec) + "\n"); out.flush()
    ref = max(steps_list)
    ab_r, it_r = tables[ref]
    for steps in steps_list[:-1]:
        ab, it = tables[steps]
        dth = np.abs(ab["estimate"].to_numpy() - ab_r["estimate"].to_numpy()) / ab_r["sd"].to_numpy()
        dsd = ab["sd"].to_numpy() / ab_r["sd"].to_numpy()
        rec = {"seed": seed, "steps": steps, "vs": ref, "theta_dmax_sd": float(dth.max()), "theta_dmean_sd": float(dth.mean()),
               "theta_sd_ratio_median": float(np.median(dsd))}
        for param in ("a", "d"):
            r1, r0 = it[it["param"] == param], it_r[it_r["param"] == param]
            if len(r0):
                dd = np.abs(r1["estimate"].to_numpy() - r0["estimate"].to_numpy()) / r0["sd"].to_numpy()
                rec[f"{param}_dmax_sd"], rec[f"{param}_dmean_sd"] = float(dd.max()), float(dd.mean())
                rec[f"{param}_sd_ratio_median"] = float(np.median(r1["sd"].to_numpy() / r0["sd"].to_numpy()))
        print(json.dumps(rec), flush=True)
        out.write(json.dumps(rec) + "\n"); out.flush()
