"""Which of ArviZ's two R-hats (bulk, folded) fails the stop rule's check of a default NUTS fit, and at what ESS.

    PYTHONPATH=. .venv/bin/python benchmarks/gap/folded_rhat.py --seeds 2027 2028 > benchmarks/gap/timing/folded_rhat.log

Fits 20 models x 600 pairs (``simulate_gap_responses(20, 600, seed=s)``, fit seed 0) with all 1,200 draws
per chain (``stop_when_converged=False``) and, at the stop rule's check points (400, 600, 800 draws and
at 1,200), prints the quantities of ``CHECKED_SITES`` with the largest R-hat (ArviZ's rank R-hat, the larger
of the bulk and the folded statistic) with each statistic and the bulk, folded and tail ESS; then the
medians of the ESS and how many quantities have their folded R-hat above the bulk one.
:func:`irt.diagnostics.rhat_limit` takes the bulk ESS for both statistics.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import argparse  # noqa: E402

import numpy as np  # noqa: E402

CHECK_POINTS = (400, 600, 800, 1200)


def rows(samples: dict, sites: tuple, draws: int) -> list[tuple]:
    """(site, index, rank R-hat, bulk R-hat, folded R-hat, bulk ESS, folded ESS, tail ESS) of each quantity
    in the first ``draws`` draws per chain (quantities with NaN draws left out), largest R-hat first."""
    import arviz as az

    found = []
    for site in sites:
        if site not in samples:
            continue
        x = np.asarray(samples[site])[:, :draws]
        x = x.reshape(x.shape[0], draws, -1)
        for j in range(x.shape[-1]):
            v = x[..., j]
            if np.isnan(v).any():
                continue
            found.append((site, j, float(az.rhat(v, method="rank")), float(az.rhat(v, method="z_scale")),
                          float(az.rhat(v, method="folded")), float(az.ess(v, method="bulk")),
                          float(az.ess(v, method="folded")), float(az.ess(v, method="tail"))))
    return sorted(found, key=lambda row: -row[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2027, 2028], help="data sets")
    parser.add_argument("--top", type=int, default=6, help="quantities shown per check point")
    args = parser.parse_args()
    os.environ["GAPEVAL_JAX_CACHE"] = "off"
    from gapeval.gap.result import CHECKED_SITES
    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses

    for seed in args.seeds:
        df, _ = simulate_gap_responses(20, 600, seed=seed)
        samples = gap_score(df, inference="nuts", seed=0, stop_when_converged=False).attrs["result"].samples
        for draws in CHECK_POINTS:
            found = rows(samples, CHECKED_SITES, draws)
            print(f"data {seed}, {draws} draws per chain, largest R-hat first:")
            for row in found[:args.top]:
                print("   %s[%d] rhat %.4f bulk %.4f folded %.4f ess_bulk %.0f ess_folded %.0f ess_tail %.0f" % row)
            table = np.array([row[3:] for row in found])
            print("   median ess bulk %.0f folded %.0f; folded R-hat above bulk in %d of %d quantities"
                  % (np.median(table[:, 2]), np.median(table[:, 3]), int((table[:, 1] > table[:, 0]).sum()), len(table)),
                  flush=True)


if __name__ == "__main__":
    main()
