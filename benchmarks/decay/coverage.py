"""Coverage of decay()'s 95% fixed-effect intervals on the shared-dialogue design, nested vs crossed.

    PYTHONPATH=. .venv/bin/python benchmarks/decay/coverage.py --reps 20 --out benchmarks/decay/coverage.csv

Design (the issue's, and the R reference cases' in ``tests/reference_data/decay_crossed``): 6 models x
30 dialogues x 8 turns x 2 directions, the same dialogues and items for every model
(``simulate_decay(shared=True)``), 2,880 answers per replication, with the generating parameters of
``make_inputs.py`` (``gaussian`` and ``binomial``) and seeds ``1000 + rep``. Each replication fits:

* ``gaussian`` / ``auto``: the default (the design makes it crossed), REML, Satterthwaite t intervals;
* ``gaussian`` / ``nested``: the structure decay() fitted before (sessions nested in models, no item term);
* ``binomial`` / ``auto``: the default for 0/1 scores (crossed, Laplace, Wald z intervals);
* ``binomial`` / ``nested``: Laplace with the nested structure.

One row per replication, case and fixed effect is appended to ``--out`` as soon as the fit ends (so an
interrupted run keeps what it has); ``--summarize CSV [CSV ...]`` prints the coverage table of the CSVs
together (a replication, case and term found twice counts once, the later file's row kept).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests" / "reference_data" / "decay_crossed"))

FIELDS = ["rep", "family", "structure", "fitted", "term", "truth", "estimate", "sd", "lower", "upper", "covered",
          "seconds", "warnings"]
CASES = (("gaussian", "auto"), ("gaussian", "nested"), ("binomial", "auto"), ("binomial", "nested"))


def run(reps: int, out: Path, first: int, cases: tuple[tuple[str, str], ...] = CASES,
        data_dir: Path | None = None) -> None:
    from make_inputs import CASES as PARAMS, DESIGN

    from gapeval.decay import decay, simulate_decay

    new = not out.exists()
    with out.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        for rep in range(first, first + reps):
            for family, structure in cases:
                params = dict(PARAMS[family], seed=1000 + rep)
                responses, truth = simulate_decay(**DESIGN, **params)
                if data_dir is not None:
                    data_dir.mkdir(parents=True, exist_ok=True)
                    responses.to_csv(data_dir / f"{family}_rep{rep}.csv", index=False, float_format="%.10g")
                started = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = decay(responses, structure=structure)
                seconds = time.perf_counter() - started
                notes = " | ".join(sorted({str(w.message)[:80] for w in caught}))
                for fe in result.fixed_effects:
                    writer.writerow({"rep": rep, "family": family, "structure": structure,
                                     "fitted": result.structure, "term": fe.term, "truth": truth.fixed[fe.term],
                                     "estimate": fe.estimate, "sd": fe.sd, "lower": fe.lower, "upper": fe.upper,
                                     "covered": int(fe.lower <= truth.fixed[fe.term] <= fe.upper),
                                     "seconds": round(seconds, 2), "warnings": notes})
                handle.flush()
                print(f"rep {rep} {family} {structure}: {seconds:.1f} s", flush=True)


def read_runs(paths: list[Path]) -> pd.DataFrame:
    """The rows of several coverage CSVs; a (rep, family, structure, term) found twice keeps the later row."""
    rows = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    return rows.drop_duplicates(["rep", "family", "structure", "term"], keep="last")


def containment_intervals(rows: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The 0/1 default rows of a CSV written before the containment df, with the intervals decay() gives now.

    decay()'s Laplace estimates and SEs did not change (``coverage_containment.csv`` reps 0-1 repeat
    ``coverage.csv``'s to the last digit); only the reference distribution did. The df are those of
    :func:`gapeval.decay.containment.containment_df` on the benchmark's design (the same in every replication).
    """
    from make_inputs import CASES as PARAMS, DESIGN
    from scipy import stats

    from gapeval.decay import simulate_decay
    from gapeval.decay.containment import containment_df
    from gapeval.decay.gaussian import design_matrices
    from gapeval.decay.prepare import prepare

    responses, _ = simulate_decay(**DESIGN, **dict(PARAMS["binomial"], seed=1000))
    data = prepare(responses, score="score", turn="turn", direction="direction", model="model", session="session",
                   item="item", structure="auto", covariates=(), family="auto", random_slopes="turn")
    _, x, designs = design_matrices(data, "turn")
    names = ["Intercept", *(data.term_names.get(c, c) for c in data.fixed_cols)]
    df = dict(zip(names, containment_df(x, designs)))
    out = rows.query("family == 'binomial' and structure == 'auto'").copy()
    q = [stats.t.ppf(0.5 + level / 2, df[t]) if np.isfinite(df[t]) else stats.norm.ppf(0.5 + level / 2)
         for t in out["term"]]
    out["lower"], out["upper"] = out["estimate"] - np.multiply(q, out["sd"]), out["estimate"] + np.multiply(q, out["sd"])
    out["covered"] = ((out["lower"] <= out["truth"]) & (out["truth"] <= out["upper"])).astype(int)
    return out


def summarize(paths: list[Path], *, containment: list[Path] | None = None) -> pd.DataFrame:
    """Coverage, mean SE / SD of the estimates, and seconds per fit, by case and term.

    ``containment``: CSVs of fits from before the containment df, whose 0/1 default rows join the others with
    :func:`containment_intervals` (rows of ``paths`` win over them).
    """
    rows = read_runs(paths)
    if containment is not None:
        rows = pd.concat([containment_intervals(read_runs(containment)), rows], ignore_index=True)
        rows = rows.drop_duplicates(["rep", "family", "structure", "term"], keep="last")
    grouped = rows.groupby(["family", "structure", "term"], sort=False)
    table = grouped.agg(reps=("covered", "size"), coverage=("covered", "mean"), mean_se=("sd", "mean"),
                        sd_estimate=("estimate", "std"), bias=("estimate", "mean"), seconds=("seconds", "median"))
    table["bias"] -= grouped["truth"].mean()
    table["se_ratio"] = table["mean_se"] / table["sd_estimate"]
    return table.reset_index()


def sd_interval(sd: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Chi-square interval of a normal SD estimated from ``n`` replications."""
    from scipy import stats

    lo, hi = stats.chi2.ppf([0.5 + level / 2, 0.5 - level / 2], n - 1)
    return sd * np.sqrt((n - 1) / lo), sd * np.sqrt((n - 1) / hi)


def compare_glmer(ours: list[Path], glmer: Path) -> pd.DataFrame:
    """decay()'s default 0/1 fits beside glmer's on the same replications (``glmer_coverage.R``'s CSV).

    Per term, on the replications both have: coverage, mean SE and SD of the estimates of each, the largest
    difference of the estimates and of the SEs; then glmer alone on every replication it has, with the
    95% chi-square interval of SE / SD (how far the replications pin the ratio down). glmer fits whose
    Hessian-based SEs are less than half its SEs conditional on the variance estimates (a broken Hessian:
    0.0007 against 0.19 once) are left out of glmer's columns and counted in ``glmer_unusable``.
    """
    from scipy import stats

    mine = read_runs(ours).query("family == 'binomial' and structure == 'auto'")
    theirs = pd.read_csv(glmer)
    broken = theirs.loc[theirs["se"] < 0.5 * theirs["se_conditional"], "rep"].unique()
    theirs = theirs[~theirs["rep"].isin(broken)]
    truth = mine.groupby("term")["truth"].first()
    theirs["truth"] = theirs["term"].map(truth)
    q = stats.norm.ppf(0.975)
    theirs["covered"] = ((theirs["estimate"] - q * theirs["se"] <= theirs["truth"])
                         & (theirs["truth"] <= theirs["estimate"] + q * theirs["se"])).astype(int)
    both = mine.merge(theirs, on=["rep", "term"], suffixes=("", "_glmer"))
    rows = []
    for term, group in both.groupby("term", sort=False):
        all_glmer = theirs[theirs["term"] == term]
        sd_all = all_glmer["estimate"].std()
        lo, hi = sd_interval(sd_all, len(all_glmer))
        rows.append({
            "term": term, "reps": len(group),
            "coverage": group["covered"].mean(), "coverage_glmer": group["covered_glmer"].mean(),
            "se": group["sd"].mean(), "se_glmer": group["se"].mean(),
            "sd_est": group["estimate"].std(), "sd_est_glmer": group["estimate_glmer"].std(),
            "max_abs_est_diff": (group["estimate"] - group["estimate_glmer"]).abs().max(),
            "max_rel_se_diff": (group["sd"] / group["se"] - 1).abs().max(),
            "glmer_reps": len(all_glmer), "glmer_unusable": len(broken), "glmer_coverage": all_glmer["covered"].mean(),
            "glmer_se": all_glmer["se"].mean(), "glmer_se_conditional": all_glmer["se_conditional"].mean(),
            "glmer_sd_est": sd_all, "glmer_se_sd": all_glmer["se"].mean() / sd_all,
            "glmer_se_sd_lo": all_glmer["se"].mean() / hi, "glmer_se_sd_hi": all_glmer["se"].mean() / lo,
            "glmer_bias": all_glmer["estimate"].mean() - all_glmer["truth"].mean(),
        })
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "coverage.csv")
    parser.add_argument("--cases", nargs="+", default=[f"{f}/{s}" for f, s in CASES],
                        help="family/structure pairs to fit (default: all four)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="also write each replication's answers to DIR/<family>_rep<N>.csv (for glmer_coverage.R)")
    parser.add_argument("--summarize", nargs="+", type=Path, default=None, metavar="CSV",
                        help="print the coverage table of these CSVs (instead of fitting)")
    parser.add_argument("--glmer", type=Path, default=None,
                        help="with --summarize: compare the 0/1 default fits with glmer_coverage.R's CSV")
    parser.add_argument("--containment-from", nargs="+", type=Path, default=None, metavar="CSV",
                        help="with --summarize: add these older CSVs' 0/1 default fits, their intervals on containment df")
    args = parser.parse_args()
    if args.summarize:
        table = (summarize(args.summarize, containment=args.containment_from) if args.glmer is None
                 else compare_glmer(args.summarize, args.glmer))
        with pd.option_context("display.width", 250):
            print(table.round(4).to_string(index=False))
        return
    run(args.reps, args.out, args.first, tuple(tuple(c.split("/")) for c in args.cases), args.data_dir)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
