"""How often converged chains fail the R-hat check by chance, and which real problems it still catches.

    .venv/bin/python benchmarks/gap/rhat_by_chance.py --repetitions 60

Simulates chains of K independent AR(1) quantities (unit variance; the autocorrelation sets the ESS)
and runs them through :meth:`irt.diagnostics.Diagnostics.from_draws` (ArviZ's rank-normalised split
R-hat and ESS, as every fit does). Two rules are compared per fit:

* ``fixed 1.01``: the largest R-hat over 1.01 (the rule before issue 16);
* ``limit``: some quantity over its :func:`irt.diagnostics.rhat_limit` (what
  :meth:`~irt.diagnostics.Diagnostics.problems` checks now).

Null rows: all chains from one distribution (false alarms). Shift rows: the last chain of one quantity
is moved by ``shift`` stationary sd (a chain stuck in another part of the posterior): how often each
rule notices. K = 18, 66, 186 are the checked quantities of ``gap_score`` at 4, 20 and 60 models.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def ar1(rng: np.random.Generator, rho: float, shape: tuple[int, int, int]) -> np.ndarray:
    """Stationary AR(1) draws with unit variance, (chains, draws, quantities)."""
    x = np.empty(shape)
    x[:, 0] = rng.normal(size=(shape[0], shape[2]))
    noise = rng.normal(size=shape) * np.sqrt(1 - rho ** 2)
    for t in range(1, shape[1]):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    return x


def rates(rng, *, chains: int, draws: int, quantities: int, rho: float, shift: float, repetitions: int) -> dict:
    from irt.diagnostics import Diagnostics

    fixed, limit, ess = [], [], []
    for _ in range(repetitions):
        x = ar1(rng, rho, (chains, draws, quantities))
        x[-1, :, 0] += shift
        diag = Diagnostics.from_draws({"x": x}, sites=["x"])
        fixed.append(diag.max_rhat > 1.01)
        limit.append(any("R-hat" in p for p in diag.problems()))
        ess.append(diag.min_ess_bulk)
    return {"chains": chains, "draws": draws, "quantities": quantities, "rho": rho, "shift": shift,
            "median_min_ess_bulk": float(np.median(ess)), "fail_fixed_1.01": float(np.mean(fixed)),
            "fail_limit": float(np.mean(limit)), "repetitions": repetitions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=60)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    settings = [dict(chains=2, draws=600, quantities=66, rho=0.0, shift=0.0)]
    settings += [dict(chains=2, draws=600, quantities=k, rho=rho, shift=0.0) for k in (18, 66, 186) for rho in (0.33, 0.6)]
    settings += [dict(chains=4, draws=600, quantities=66, rho=0.33, shift=0.0)]
    settings += [dict(chains=2, draws=600, quantities=66, rho=0.33, shift=shift) for shift in (0.2, 0.3, 0.5)]
    print("| chains | draws | quantities | AR(1) rho | shift (sd) | median min bulk ESS | fails, fixed 1.01 | "
          "fails, limit | repetitions |")
    print("|---|---|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    for setting in settings:
        r = rates(rng, repetitions=args.repetitions, **setting)
        print(f"| {r['chains']} | {r['draws']} | {r['quantities']} | {r['rho']:.2f} | {r['shift']:.1f} | "
              f"{r['median_min_ess_bulk']:.0f} | {r['fail_fixed_1.01']:.2f} | {r['fail_limit']:.2f} | "
              f"{r['repetitions']} |", flush=True)
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
