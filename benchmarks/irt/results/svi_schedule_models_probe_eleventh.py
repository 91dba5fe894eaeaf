"""Probe (eleventh session): irt.fit SVI, the former default (5,000 constant steps) against the new one, on
3PL, graded, Rasch and 2-D 2PL (500 x 40, seeds 0-1): theta and item RMSE and coverage."""
import json, sys, warnings
import numpy as np
import irt
for model, kw in (("3pl", {}), ("graded", {}), ("rasch", {}), ("2pl", {"q": 2})):
    for seed in (0, 1):
        extra = {}
        if kw.get("q"):
            q = np.zeros((40, 2)); q[:20, 0] = 1; q[20:, 1] = 1
            data, truth = irt.simulate("2pl", num_respondents=500, num_items=40, q_matrix=q, seed=seed); extra = {"q_matrix": q}
        else:
            data, truth = irt.simulate(model, num_respondents=500, num_items=40, seed=seed)
        for name, opts in (("old", dict(num_steps=5000, learning_rate_decay=1.0)), ("new", {})):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                fit = irt.fit(data, model if not kw.get("q") else "2pl", method="svi", seed=seed, **extra, **opts)
            ab, it = fit.abilities(), fit.items()
            th = truth.theta
            est = ab["estimate"].to_numpy().reshape(th.shape[0], -1)
            lo = ab["lower"].to_numpy().reshape(th.shape[0], -1); hi = ab["upper"].to_numpy().reshape(th.shape[0], -1)
            rec = {"model": model + ("2d" if kw.get("q") else ""), "seed": seed, "default": name,
                   "theta_rmse": float(np.sqrt(np.mean((est - th) ** 2))), "theta_cov": float(np.mean((lo <= th) & (th <= hi))),
                   "scale_check": fit.info.get("scale_check"), "warnings": len(w)}
            for param in ("b", "d", "g"):
                rows = it[it["param"] == param]
                true = getattr(truth, param, None)
                if len(rows) and true is not None and np.ndim(true) == 1 and len(rows) == len(true):
                    rec[f"{param}_rmse"] = float(np.sqrt(np.mean((rows["estimate"].to_numpy() - true) ** 2)))
                    rec[f"{param}_cov"] = float(np.mean((rows["lower"].to_numpy() <= true) & (true <= rows["upper"].to_numpy())))
            print(json.dumps(rec), flush=True)
