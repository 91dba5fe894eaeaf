"""Eighth session: one cold irt.fit(method="svi") of 2PL 20 x 600 (simulated, seed argv[1]) in this process: fit
CPU and wall s, final_loss, coverage, the first respondent's estimate (to compare source trees, e.g.
``TREE=/tmp/x PYTHONPATH=/tmp/x GAPEVAL_JAX_CACHE=off python benchmarks/irt/ai_svi_fit.py 1``, alternated).
Records: ``results/ai_svi_fit_svifloor.log``."""
import time, sys, json, os
t0w, t0c = time.perf_counter(), time.process_time()
import irt
data, truth = irt.simulate("2pl", num_respondents=20, num_items=600, seed=int(sys.argv[1]))
w, c = time.perf_counter(), time.process_time()
fit = irt.fit(data, "2pl", method="svi", seed=0)
w, c = time.perf_counter() - w, time.process_time() - c
ab = fit.abilities()
import numpy as np
cov = float(np.mean((ab["lower"].to_numpy() <= truth.theta[:, 0]) & (truth.theta[:, 0] <= ab["upper"].to_numpy())))
print(json.dumps({"tree": os.environ.get("TREE"), "fit_wall": round(w, 2), "fit_cpu": round(c, 2), "final_loss": fit.info["final_loss"], "coverage": cov, "theta0": float(ab["estimate"].to_numpy()[0])}))
