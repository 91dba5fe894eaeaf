"""Side-by-side benchmark of ``irt`` against py-irt and girth on the same simulated data.

Cases (the foundation issue's AI-benchmark shapes):

- ``2pl-20x600``: unidimensional 2PL, 20 respondents x 600 items.
- ``2d-20x1200``: confirmatory two-dimensional 2PL, between-item (600 items per dimension),
  20 respondents x 1200 items, latent correlation 0.5.

For every case and seed the data are simulated with :func:`irt.simulate` and written to a folder
(``responses.npy`` / ``responses.csv``, ``q_matrix.npy``, ``theta.npy``); our fits and the peers'
fits all read that folder. Ours run in this process (NUTS with the defaults: 2 parallel chains, 500
warm-up, 1000 draws; SVI with the defaults: 5000 full-batch steps); the peers run in a subprocess
with the peer environment's interpreter (``setup_peers.sh``) via ``peer_runner.py``. Times are wall
and CPU seconds measured inside the process that fits (process start and imports excluded); for
ours the JAX trace + compile time is reported on its own (it is included in the wall time), and the
NUTS diagnostics (R-hat/ESS, which ``irt.fit`` computes by default) are timed and included.

Scores: Pearson r and RMSE of the point estimates of θ against the true θ, per dimension; for ours
also the coverage of the true θ by the 95% intervals. ``scale`` is the least-squares slope of the
estimates on the truth (1 = same scale): with 20 respondents the realised sd of the true θ is far
from 1, and each method fixes the scale its own way (ours: θ ~ N(0, 1); py-irt: tight item priors),
which moves the RMSE but not r.

Run from the repository root (after ``bash benchmarks/irt/setup_peers.sh /tmp/peers-venv``)::

    .venv/bin/python benchmarks/irt/compare_peers.py                       # both cases, seeds 1 2 3
    .venv/bin/python benchmarks/irt/compare_peers.py --quick               # smoke run (small shapes)
    .venv/bin/python benchmarks/irt/compare_peers.py --cases 2pl-20x600 --seeds 1 --json out.json
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")  # before JAX is imported

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from _shared import (  # noqa: E402
    CompileClock, cpu_seconds, machine_facts, markdown_table, recovery, simulate_case, uptime_line,
)

HERE = Path(__file__).resolve().parent
CASES: dict[str, tuple[int, int, int]] = {"2pl-20x600": (20, 600, 1), "2d-20x1200": (20, 1200, 2)}
QUICK_CASES: dict[str, tuple[int, int, int]] = {"2pl-20x100": (20, 100, 1), "2d-20x200": (20, 200, 2)}
PEERS = ("girth-2pl", "pyirt-2pl", "pyirt-multidim")
COLUMNS = ["case", "seed", "method", "status", "wall_s", "cpu_s", "compile_s", "r", "r_by_dim", "rmse", "scale",
           "coverage_95", "max_rhat", "divergences", "load_1min"]
MEDIAN_COLUMNS = ["case", "method", "runs", "wall_s", "cpu_s", "compile_s", "r", "rmse", "scale", "coverage_95"]


def write_case(folder: Path, *, num_respondents: int, num_items: int, num_dims: int, seed: int) -> np.ndarray:
    """Simulate one case into ``folder`` and return the true θ (respondents x dims)."""
    data, truth = simulate_case(num_respondents=num_respondents, num_items=num_items, num_dims=num_dims, seed=seed)
    matrix = np.full((data.num_respondents, data.num_items), -1, dtype=np.int8)
    matrix[data.respondent, data.item] = data.response
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "responses.npy", matrix)
    np.save(folder / "q_matrix.npy", truth.q_matrix.astype(np.int8))
    np.save(folder / "theta.npy", truth.theta)
    np.savetxt(folder / "responses.csv", matrix, fmt="%d", delimiter=",")
    return truth.theta


def run_ours(folder: Path, method: str, *, seed: int, quick: bool) -> dict:
    """Fit our 2PL (NUTS or SVI) to the folder's matrix; time it and return θ with intervals."""
    import irt

    matrix = np.load(folder / "responses.npy")
    q = np.load(folder / "q_matrix.npy")
    labels = [f"F{int(np.argmax(row)) + 1}" for row in q] if q.shape[1] > 1 else None
    quick_options = {"nuts": {"num_warmup": 200, "num_samples": 200}, "svi": {"num_steps": 1500}}
    options = quick_options.get(method, {}) if quick else {}
    load = os.getloadavg()[0]
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    with CompileClock() as clock:
        data = irt.ResponseData.from_wide(matrix.astype(float), dimension=labels)
        result = irt.fit(data, "2pl", method=method, seed=seed, check_convergence=False, **options)
        fit_wall = time.perf_counter() - wall0
        diag = result.diagnostics() if method == "nuts" else None
        abilities = result.abilities()
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    dims = [f"F{k + 1}" for k in range(q.shape[1])] if labels else list(abilities["dimension"].unique())
    table = {k: abilities[abilities["dimension"] == dim] for k, dim in enumerate(dims)}
    pick = lambda col: np.column_stack([table[k][col].to_numpy() for k in range(len(dims))])  # noqa: E731
    record = {"method": f"irt-{method}", "status": "ok", "wall_s": wall, "cpu_s": cpu, "compile_s": clock.seconds,
              "fit_call_s": fit_wall, "sampler_s": result.info["seconds"], "load_1min": load,
              "theta": pick("estimate"), "lower": pick("lower"), "upper": pick("upper")}
    if diag is not None:
        record.update(max_rhat=float(diag.max_rhat), divergences=int(diag.num_divergences),
                      min_ess_bulk=float(diag.min_ess_bulk), diagnostics_s=wall - fit_wall)
    return record


def run_peer(folder: Path, method: str, *, seed: int, python: str, timeout: int) -> dict:
    """Run ``peer_runner.py`` for one peer method in the peer environment."""
    out = folder / f"{method}.json"
    command = [python, str(HERE / "peer_runner.py"), method, str(folder), str(out), "--seed", str(seed)]
    load = os.getloadavg()[0]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"method": method, "status": f"timeout > {timeout} s", "load_1min": load}
    if proc.returncode != 0 or not out.exists():
        return {"method": method, "status": f"error: {proc.stderr.strip().splitlines()[-1:]}", "load_1min": load}
    record = json.loads(out.read_text())
    record.update(status="ok", theta=np.asarray(record["theta"], dtype=float), load_1min=load)
    return record


def score(record: dict, truth: np.ndarray) -> dict:
    """Add r, RMSE (and coverage) against the true θ; exploratory peers get their columns matched first."""
    if record.get("status") != "ok":
        return record
    theta = record["theta"]
    if record["method"] == "pyirt-multidim":  # unlabelled dimensions: best permutation by |r|
        def total(perm):
            return sum(abs(np.corrcoef(theta[:, p], truth[:, k])[0, 1]) for k, p in enumerate(perm))
        best = max(itertools.permutations(range(theta.shape[1])), key=total)
        theta = theta[:, list(best)]
        record["note"] = f"{record.get('note', '')}; column order {list(best)}"
    per_dim = []
    for k in range(truth.shape[1]):
        bounds = {}
        if "lower" in record:
            bounds = {"lower": record["lower"][:, k], "upper": record["upper"][:, k]}
        per_dim.append(recovery(theta[:, k], truth[:, k], **bounds))
    pooled = recovery(theta, truth, **({"lower": record["lower"], "upper": record["upper"]} if "lower" in record else {}))
    slopes = [float(np.polyfit(truth[:, k], theta[:, k], 1)[0]) for k in range(truth.shape[1])]
    record.update(r=float(np.mean([d["r"] for d in per_dim])), r_by_dim=" / ".join(f"{d['r']:.3f}" for d in per_dim),
                  rmse=pooled["rmse"], coverage_95=pooled.get("coverage"), scale=float(np.mean(slopes)),
                  truth=truth)
    return record


def medians(records: list[dict]) -> list[dict]:
    """Median over seeds of each (case, method); only successful runs count."""
    rows = []
    for (case, method), group in itertools.groupby(sorted(records, key=lambda r: (r["case"], r["method"])),
                                                   key=lambda r: (r["case"], r["method"])):
        group = [g for g in group if g.get("status") == "ok"]
        if not group:
            continue
        row = {"case": case, "method": method, "runs": len(group)}
        for col in ("wall_s", "cpu_s", "compile_s", "r", "rmse", "scale", "coverage_95"):
            values = [g[col] for g in group if g.get(col) is not None]
            row[col] = float(np.median(values)) if values else None
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="irt vs py-irt and girth on the same simulated data")
    parser.add_argument("--cases", nargs="+", default=None, help=f"default: {list(CASES)}")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--ours", nargs="*", default=["nuts", "svi"], choices=["nuts", "svi", "mml"],
                        help="our estimators; mml = marginal ML with EAP scores (Wald-type EAP intervals)")
    parser.add_argument("--peers", nargs="*", default=list(PEERS), choices=list(PEERS) + ["pyirt-2pl-hier"])
    parser.add_argument("--peer-python", default="/tmp/peers-venv/bin/python")
    parser.add_argument("--peer-timeout", type=int, default=600, help="seconds allowed per peer fit")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20x100 and 20x200, one seed, short chains")
    parser.add_argument("--keep-data", type=Path, help="write the simulated folders here instead of a temp dir")
    parser.add_argument("--json", type=Path, help="write every record and the machine facts here")
    args = parser.parse_args(argv)
    catalogue = QUICK_CASES if args.quick else CASES
    cases = args.cases or list(catalogue)
    if args.quick and args.seeds == [1, 2, 3]:
        args.seeds = [1]
    unknown = [c for c in cases if c not in catalogue]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(catalogue)}")
    if args.peers and not Path(args.peer_python).exists():
        parser.error(f"peer interpreter {args.peer_python} not found; run benchmarks/irt/setup_peers.sh first")
    import irt  # noqa: F401  (imported before any timing)

    started = {"uptime": uptime_line(), **machine_facts().__dict__}
    print(f"start: {started['uptime']}", flush=True)
    records: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep_data or Path(tmp)
        for case, seed in itertools.product(cases, args.seeds):
            num_respondents, num_items, num_dims = catalogue[case]
            folder = root / f"{case}-seed{seed}"
            truth = write_case(folder, num_respondents=num_respondents, num_items=num_items, num_dims=num_dims,
                               seed=seed)
            runs = [("ours", m) for m in args.ours]
            runs += [("peer", p) for p in args.peers if not (p == "pyirt-multidim" and num_dims == 1)]
            for kind, method in runs:
                if kind == "ours":
                    record = run_ours(folder, method, seed=seed, quick=args.quick)
                else:
                    record = run_peer(folder, method, seed=seed, python=args.peer_python, timeout=args.peer_timeout)
                record = score(record, truth)
                record.update(case=case, seed=seed)
                records.append(record)
                print(json.dumps({k: v for k, v in record.items() if k not in ("theta", "lower", "upper", "truth")}),
                      flush=True)
    finished = uptime_line()
    print(f"\nstart: {started['uptime']}\nend:   {finished}\n")
    print(markdown_table(records, COLUMNS))
    print("\nMedian over seeds\n")
    print(markdown_table(medians(records), MEDIAN_COLUMNS))
    if args.json:
        plain = [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in r.items()} for r in records]
        args.json.write_text(json.dumps({"machine": started, "uptime_end": finished, "records": plain,
                                         "medians": medians(records),
                                         "command": " ".join([sys.executable] + sys.argv)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
