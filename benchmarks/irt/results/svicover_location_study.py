"""Scratch: irt.fit's default SVI at 1e6/1e7 over seeds; location diagnostics; the pinned-location variant post hoc."""
import json, sys, time, resource, os
import numpy as np
sys.path.insert(0, os.path.join(os.environ["PYTHONPATH"].split(":")[0], "benchmarks/irt"))
from _shared import recovery, cpu_seconds, uptime_line
import irt

size, seeds, out = sys.argv[1], [int(s) for s in sys.argv[2].split(",")], sys.argv[3]
M, I = {"1e6": (1000, 1000), "1e7": (1000, 10000)}[size]
for seed in seeds:
    data, truth = irt.simulate("2pl", num_respondents=M, num_items=I, seed=seed)
    t = truth.theta[:, 0]
    w0, c0 = time.perf_counter(), cpu_seconds()
    fit = irt.fit(data, "2pl", method="svi", seed=seed)
    wall, cpu = time.perf_counter() - w0, cpu_seconds() - c0
    draws = fit.samples["theta"][0, :, :, 0]
    loc = draws.mean(axis=1)
    rec = {"size": size, "seed": seed, "fit_cpu_s": cpu, "fit_wall_s": wall, "grid_cpu_s": fit.info.get("grid_cpu_seconds"),
           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "load": uptime_line().split("load average:")[-1].strip(),
           "final_loss": fit.info["final_loss"], "scale_check": fit.info.get("scale_check"),
           "data_z": float(t.mean() * np.sqrt(M)), "loc_mean_in_prior_sd": float(loc.mean() * np.sqrt(M)),
           "loc_sd_in_prior_sd": float(loc.std() * np.sqrt(M)), "fit_z": float((t.mean() - loc.mean()) / loc.std())}
    def score(d, name):
        s = recovery(d.mean(0), t, lower=np.quantile(d, .025, 0), upper=np.quantile(d, .975, 0))
        c = d - d.mean(1, keepdims=True)
        cs = recovery(c.mean(0), t - t.mean(), lower=np.quantile(c, .025, 0), upper=np.quantile(c, .975, 0))
        rec.update({f"{name}_coverage": s["coverage"], f"{name}_rmse": s["rmse"], f"{name}_r": s["r"],
                    f"{name}_width": s["mean_width"], f"{name}_centred_coverage": cs["coverage"], f"{name}_centred_rmse": cs["rmse"]})
    shifts = np.quantile(np.random.default_rng(7).standard_normal(100_000), (np.arange(400) + 0.5) / 400) / np.sqrt(M)
    def averaged(d):
        # coverage with the true θ̄ averaged over its prior N(0, 1/M) (the data see θ only through θ - θ̄)
        lo, hi = np.quantile(d, .025, 0), np.quantile(d, .975, 0)
        x = t - t.mean()
        return float(np.mean([(lo <= x + u) & (x + u <= hi) for u in shifts]))
    score(draws, "default")
    rec["default_coverage_location_averaged"] = averaged(draws)
    ell = np.random.default_rng([seed, 99]).standard_normal(len(loc)) / np.sqrt(M)
    pinned = draws - loc[:, None] + ell[:, None]
    score(pinned, "pinned")
    rec["pinned_coverage_location_averaged"] = averaged(pinned)
    np.savez_compressed(out.replace(".jsonl", f"_seed{seed}.npz"), truth=t, **{f"{k}_{q}": np.quantile(v, p, 0) for k, v in (("default", draws), ("pinned", pinned)) for q, p in (("lower", .025), ("mean", .5), ("upper", .975))})
    rec["pinned_z"] = float((t.mean() - ell.mean()) / ell.std())
    print(json.dumps(rec), flush=True)
    with open(out, "a") as f:
        f.write(json.dumps(rec) + "\n")
